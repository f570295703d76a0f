"""Two replicas each of the catalog, sourcing, the gateway and the website, as processes on
loopback behind the real HAProxy (tests/replicas/balancer.py), on PostgreSQL databases of their
own, Redis and a real Meilisearch. A bounded mixed load (searches, pages, managers' new offers,
needs published) runs while one replica of each kind is killed (SIGKILL) and restarted in turn,
the holder of the leases first for the catalog and sourcing. Afterwards: every write answered
2xx is there, every need's managers were told exactly once, the relay and the needs runner came
back on the other replica within 10 s, and the only errors are requests that were in flight on
a killed process (printed)."""

from __future__ import annotations

import contextlib
import email
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from email import policy
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from services.common.db import make_engine
from services.common.identity import Role
from services.web.sessions import create_tables
from tests.catalog.api_support import SECRET, STAFF, identity
from tests.conftest import _postgres_database, relay_for
from tests.replicas.balancer import running_balancer
from tests.support import (
    Meili,
    ServiceProcess,
    free_port,
    load_catalog,
    migrate,
    run_async,
    search_only_key,
    wait_until,
)

pytestmark = pytest.mark.postgres

KINDS = ("catalog", "sourcing", "gateway", "web")
CLEANING = "nettoyage-de-locaux-16"
LOAD_S = 30.0
FAILOVER_LIMIT_S = 10.0
BUYER = identity("acheteur-replicas", Role.PUBLIC_BUYER)


@dataclass
class Cluster:
    replicas: dict[str, list[ServiceProcess]]
    urls: dict[str, str]  # the balancer's, per kind
    mail_dir: Path
    catalog_url: str
    sourcing_url: str
    managed: dict[int, str]  # structure id -> its manager's address
    token: str


@dataclass
class Tally:
    ok: int = 0
    errors: list[str] = field(default_factory=list)


@contextlib.contextmanager
def _database(server: str) -> Iterator[str]:
    yield from _postgres_database(server)


def _ready(url: str) -> bool:
    try:
        return httpx.get(url + "/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _leases(replica: ServiceProcess) -> dict[str, bool]:
    try:
        return dict(httpx.get(replica.url + "/readyz", timeout=2).json().get("leases", {}))
    except (httpx.HTTPError, ValueError):
        return {}


@pytest.fixture(scope="module")
def cluster(
    meili: Meili, postgres_server: str, tmp_path_factory: pytest.TempPathFactory, run_id: str
) -> Iterator[Cluster]:
    logs = tmp_path_factory.mktemp("replicas")
    token = f"rplk{run_id}"
    phases: list[tuple[str, float]] = [("start", time.monotonic())]
    with contextlib.ExitStack() as stack:
        db = {kind: stack.enter_context(_database(postgres_server)) for kind in KINDS}
        # The SIAE alone: enough cleaning structures in the 93, and a smaller index to build.
        engine = load_catalog(db["catalog"], ("siae",))
        index = f"test_{run_id}_replicas"

        async def build_index() -> None:
            relay, client = relay_for(engine, meili, index)
            async with client:
                await relay.rebuild()

        phases.append(("catalog loaded", time.monotonic()))
        run_async(build_index())
        engine.dispose()
        phases.append(("index built", time.monotonic()))
        migrate(db["sourcing"], "sourcing")
        migrate(db["gateway"], "gateway")
        web_sessions = make_engine(db["web"])
        create_tables(web_sessions)  # as the one-shot `migrate` service of docker-compose.yml
        web_sessions.dispose()
        ports = {kind: [free_port(), free_port()] for kind in KINDS}
        front = {kind: free_port() for kind in KINDS}
        balanced = {kind: f"http://127.0.0.1:{front[kind]}" for kind in KINDS}
        shared = {
            "MI_ENVIRONMENT": "test",
            "MEILI_URL": meili.url,
            "MEILI_INDEX": index,
            "MI_IDENTITY_SECRET": SECRET,
            "REDIS_URL": "redis://127.0.0.1:6379/13",
        }
        envs = {
            "catalog": {
                **shared,
                "MEILI_MASTER_KEY": meili.key,
                "CATALOG_DATABASE_URL": db["catalog"],
                "CATALOG_MAIL_DIR": str(logs / "mail"),
                "CATALOG_PROOF_DIR": str(logs / "proofs"),
                "CATALOG_MEDIA_DIR": str(logs / "media"),
            },
            "sourcing": {
                **shared,
                "MEILI_SEARCH_KEY": search_only_key(meili.url, meili.key, index),
                "SOURCING_DATABASE_URL": db["sourcing"],
                "SOURCING_CATALOG_URL": balanced["catalog"],
                "SOURCING_MAIL_DIR": str(logs / "mail"),
                "SOURCING_REMATCH_INTERVAL_S": "2",
            },
            "gateway": {
                **shared,
                "GATEWAY_DATABASE_URL": db["gateway"],
                "GATEWAY_SESSION_SECRET": "replicas-session-secret-0123456789",
                "GATEWAY_MAIL_DIR": str(logs / "mail-gateway"),
                "GATEWAY_CATALOG_URL": balanced["catalog"],
                "GATEWAY_SOURCING_URL": balanced["sourcing"],
                "GATEWAY_UPSTREAM_TIMEOUT_S": "5",
                # Quotas live in the shared Redis, per address (loopback), across runs: none here.
                "GATEWAY_ANONYMOUS_PER_MINUTE": "1000000",
                "GATEWAY_ANONYMOUS_PER_DAY": "100000000",
                "GATEWAY_TRUSTED_PROXIES": '["127.0.0.1"]',
            },
            "web": {
                "MI_ENVIRONMENT": "test",
                "WEB_GATEWAY_URL": balanced["gateway"],
                "WEB_API_PUBLIC_URL": balanced["gateway"],
                "WEB_PUBLIC_URL": balanced["web"],
                "WEB_SESSION_SECRET": "replicas-web-secret-0123456789",
                "WEB_SESSION_DATABASE_URL": db["web"],
                "WEB_TILE_URL": "http://127.0.0.1:9/{z}/{x}/{y}.png",
            },
        }
        replicas = {
            kind: [ServiceProcess(kind, envs[kind], logs, port=port) for port in ports[kind]]
            for kind in KINDS
        }
        for kind in KINDS:
            for n, replica in enumerate(replicas[kind], 1):
                replica.log = logs / f"{kind}-{n}.log"
        backends = {kind: [r.url for r in replicas[kind]] for kind in KINDS}
        stack.enter_context(running_balancer(backends, logs, front))
        every = [r for kind in KINDS for r in replicas[kind]]
        for replica in every:
            stack.callback(replica.stop)

        def start(replica: ServiceProcess) -> None:
            # Eight starting at once on two shared cores may answer later than the usual 30 s:
            # the wait below gives them 60; a process that exited fails the test at once.
            with contextlib.suppress(TimeoutError):
                replica.start()

        with ThreadPoolExecutor(len(every)) as pool:
            list(pool.map(start, every))
        wait_until(lambda: all(_ready(r.url) for r in every), timeout_s=60)
        phases.append(("8 replicas ready", time.monotonic()))
        print(
            "\nset-up: " + ", ".join(f"{name} {at - phases[0][1]:.0f} s" for name, at in phases[1:])
        )
        # Cleaning structures of the 93 (up to three) get a manager each: told of every need.
        hits = httpx.get(
            balanced["sourcing"] + "/v1/search",
            params={"sector": CLEANING, "department": "93", "per_page": 3},
            timeout=10,
        ).json()["hits"]
        managed = {}
        for hit in hits:
            manager = identity(f"gerant-{hit['id']}")
            claim = httpx.post(
                balanced["catalog"] + "/v1/claims",
                json={"siret": hit["siret"], "structure_id": hit["id"]},
                headers=dict(manager),
                timeout=10,
            )
            assert claim.status_code == 201, claim.text
            accepted = httpx.post(
                f"{balanced['catalog']}/v1/claims/{claim.json()['id']}/accept",
                headers=dict(STAFF),
                timeout=10,
            )
            assert accepted.status_code == 200, accepted.text
            managed[hit["id"]] = f"gerant-{hit['id']}@exemple.fr"
        assert len(managed) >= 2
        yield Cluster(
            replicas, balanced, logs / "mail", db["catalog"], db["sourcing"], managed, token
        )


def _loop(stop: threading.Event, period_s: float, action: Callable[[int], None]) -> None:
    n = 0
    while not stop.is_set():
        started = time.monotonic()
        action(n)
        n += 1
        stop.wait(max(period_s - (time.monotonic() - started), 0))


def _count(tally: Tally, call: Callable[[], httpx.Response], expected: int = 200) -> bool:
    try:
        response = call()
    except httpx.HTTPError as exc:
        tally.errors.append(type(exc).__name__)
        return False
    if response.status_code != expected:
        tally.errors.append(f"{response.status_code}")
        return False
    tally.ok += 1
    return True


def _searchable(cluster: Cluster, word: str) -> bool:
    response = httpx.get(cluster.urls["sourcing"] + "/v1/search", params={"q": word}, timeout=5)
    return response.status_code == 200 and response.json()["total"] > 0


def _holder(replicas: list[ServiceProcess], lease: str) -> int | None:
    held = [n for n, r in enumerate(replicas) if _leases(r).get(lease)]
    return held[0] if len(held) == 1 else None


def _new_offer(cluster: Cluster, word: str) -> httpx.Response:
    sid = next(iter(cluster.managed))
    return httpx.post(
        f"{cluster.urls['catalog']}/v1/structures/{sid}/offers",
        json={"title": f"Offre {word}", "sector": CLEANING, "presta_type": "PREST"},
        headers=dict(identity(f"gerant-{sid}")),
        timeout=10,
    )


def _last_event(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(text("SELECT max(id) FROM outbox_event")) or 0)


def _relayed_up_to(engine: Engine, last: int) -> bool:
    with engine.connect() as connection:
        pending = connection.scalar(
            text("SELECT count(*) FROM outbox_event WHERE id <= :last AND processed_at IS NULL"),
            {"last": last},
        )
    return pending == 0


def _mails(folder: Path) -> Counter[tuple[str, str]]:
    told: Counter[tuple[str, str]] = Counter()
    for path in folder.glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        told[(str(message["To"]), str(message["Subject"]))] += 1
    return told


def test_replicas_fail_over_without_losing_or_repeating_anything(cluster: Cluster) -> None:
    tallies = {kind: Tally() for kind in ("searches", "pages", "offers", "needs")}
    offers: list[str] = []
    needs: dict[int, str] = {}
    stop = threading.Event()

    def search(_n: int) -> None:
        _count(
            tallies["searches"],
            lambda: httpx.get(
                cluster.urls["gateway"] + "/api/v1/search",
                params={"q": "nettoyage", "department": "93"},
                timeout=10,
            ),
        )

    def page(n: int) -> None:
        path = "/" if n % 2 else "/recherche?q=nettoyage&ou=93"
        _count(tallies["pages"], lambda: httpx.get(cluster.urls["web"] + path, timeout=10))

    def offer(n: int) -> None:
        word = f"{cluster.token}o{n}"
        if _count(tallies["offers"], lambda: _new_offer(cluster, word), 201):
            offers.append(word)

    def publish(n: int) -> None:
        title = f"Nettoyage {cluster.token} besoin {n}"
        body = {
            "kind": "appel_offres",
            "title": title,
            "description": "Entretien de bureaux, réplicas en panne comprises.",
            "sectors": [CLEANING],
            "place": {"level": "departement", "code": "93"},
            "presta_types": ["PREST"],
            "deadline": "2027-06-30",
            "publish": True,
        }
        response: list[httpx.Response] = []

        def post() -> httpx.Response:
            response.append(
                httpx.post(
                    cluster.urls["sourcing"] + "/v1/needs",
                    json=body,
                    headers=dict(BUYER),
                    timeout=15,
                )
            )
            return response[0]

        if _count(tallies["needs"], post, 201):
            needs[int(response[0].json()["id"])] = title

    load = [
        threading.Thread(target=_loop, args=(stop, period, action))
        for period, action in ((0.25, search), (0.4, page), (0.5, offer), (2.0, publish))
    ]
    started = time.monotonic()
    for thread in load:
        thread.start()
    failovers: dict[str, float] = {}
    searchable_after: float | None = None
    drained_after: float | None = None
    outbox = make_engine(cluster.catalog_url)
    kills = 0
    try:
        time.sleep(2)
        for kind in KINDS:
            replicas = cluster.replicas[kind]
            lease = {"catalog": "outbox", "sourcing": "needs"}.get(kind)
            victim = 0
            if lease is not None:
                wait_until(lambda r=replicas, le=lease: _holder(r, le) is not None, 10)
                victim = _holder(replicas, lease) or 0
            process = replicas[victim].process
            assert process is not None
            process.kill()
            process.wait()
            kills += 1
            killed = time.monotonic()
            if lease is not None:
                survivor = replicas[1 - victim]
                if kind == "catalog":
                    word = f"{cluster.token}probe"
                    assert _new_offer(cluster, word).status_code == 201
                    offers.append(word)
                    last_event = _last_event(outbox)
                wait_until(lambda s=survivor, le=lease: _leases(s).get(le, False), 15, 0.1)
                failovers[kind] = time.monotonic() - killed
                if kind == "catalog":
                    # Relayed by the new holder: the probe's change, and every one before it.
                    wait_until(lambda e=last_event: _relayed_up_to(outbox, e), 15, 0.1)
                    drained_after = time.monotonic() - killed
                    # Then searchable, once the search engine has indexed it (its own pace).
                    wait_until(lambda w=word: _searchable(cluster, w), 20, 0.2)
                    searchable_after = time.monotonic() - killed
            else:
                time.sleep(1.5)
            # Restarted before the next kind's replica is killed: one replica down at a time.
            replicas[victim].start()
            wait_until(lambda r=replicas[victim]: _ready(r.url), 30)
            time.sleep(1.2)  # the balancer's next check (every second) sees it back
        while time.monotonic() - started < LOAD_S:
            time.sleep(0.2)
    finally:
        stop.set()
        for thread in load:
            thread.join()
    duration = time.monotonic() - started
    outbox.dispose()

    # Every write answered 2xx is stored, and every new offer reached the index.
    catalog = make_engine(cluster.catalog_url)
    sourcing = make_engine(cluster.sourcing_url)
    with catalog.connect() as connection:
        titles = set(connection.scalars(text("SELECT title FROM offer")))
    with sourcing.connect() as connection:
        rows = connection.execute(text("SELECT id, title FROM need WHERE status = 'published'"))
        published = {row[0]: row[1] for row in rows}
    catalog.dispose()
    sourcing.dispose()
    assert {f"Offre {w}" for w in offers} <= titles
    assert all(published.get(need_id) == title for need_id, title in needs.items())
    wait_until(lambda: all(_searchable(cluster, w) for w in offers[-3:]), 15, 0.5)
    with ThreadPoolExecutor(4) as pool:
        found = dict(zip(offers, pool.map(lambda w: _searchable(cluster, w), offers), strict=True))
    missing = [w for w, hit in found.items() if not hit]
    assert missing == []

    # Each manager is told of each need exactly once, whichever replica sent it.
    expected = {
        (address, f"Besoin d'achat : {title}")
        for title in needs.values()
        for address in cluster.managed.values()
    }
    wait_until(lambda: expected <= set(_mails(cluster.mail_dir)), 20, 0.5)
    told = _mails(cluster.mail_dir)
    repeated = {key: count for key, count in told.items() if count > 1}

    print(
        f"\n{duration:.0f} s of load, {kills} replicas killed and restarted; "
        + ", ".join(
            f"{kind}: {t.ok} ok, {len(t.errors)} errors {sorted(set(t.errors))}"
            for kind, t in tallies.items()
        )
        + f"; failover outbox {failovers.get('catalog', -1):.1f} s, needs "
        f"{failovers.get('sourcing', -1):.1f} s; a write made after the relay's holder died "
        f"relayed after {drained_after or -1:.1f} s, searchable after "
        f"{searchable_after or -1:.1f} s; {len(needs)} needs, "
        f"{sum(told[k] for k in expected)} mails to {len(cluster.managed)} managers"
    )
    assert repeated == {}
    assert failovers["catalog"] < FAILOVER_LIMIT_S and failovers["sourcing"] < FAILOVER_LIMIT_S
    assert drained_after is not None and drained_after < FAILOVER_LIMIT_S
    assert searchable_after is not None
    assert len(needs) >= 8 and len(offers) >= 30
    # Reads are retried by the balancer on the other replica: none fails.
    assert tallies["searches"].errors == [] and tallies["pages"].errors == []
    # A write in flight on a killed process may fail (it is never retried): one per kill at most.
    assert len(tallies["offers"].errors) + len(tallies["needs"].errors) <= kills
