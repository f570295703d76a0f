"""Accounts as their users meet them: the operator's staff command, registration that tells
nobody which addresses have accounts, and e-mails whose links work when clicked."""

from __future__ import annotations

import email
import email.policy
import fcntl
import os
import re
import select
import subprocess
import sys
import termios
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from services.gateway.app import create_app
from tests.support import ROOT, free_port, gateway_settings, wait_until

PASSWORD = "un-mot-de-passe-assez-long"


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[TestClient]:
    dead = f"http://127.0.0.1:{free_port()}"
    settings = gateway_settings(
        tmp_path, catalog_url=dead, sourcing_url=dead, public_url="https://api.exemple.fr"
    )
    with TestClient(create_app(settings)) as client:  # type: ignore[arg-type]
        yield client


def _gateway_command(
    database: Path, *args: str, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    """The operator's command, run as on the server: a process of its own, stdin piped."""
    env = {
        **os.environ,
        "GATEWAY_DATABASE_URL": f"sqlite:///{database}",
        "MI_ENVIRONMENT": "development",
    }
    return subprocess.run(
        [sys.executable, "-m", "services.gateway.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
        check=False,
    )


def _mails_to(folder: Path, address: str) -> list[email.message.EmailMessage]:
    found = []
    for path in sorted(folder.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if message["To"] == address:
            found.append(message)
    return found  # type: ignore[return-value]


def _mail(folder: Path, address: str, subject: str) -> str:
    wait_until(
        lambda: any(subject in str(m["Subject"]) for m in _mails_to(folder, address)),
        timeout_s=15,
    )
    message = [m for m in _mails_to(folder, address) if subject in str(m["Subject"])][-1]
    return str(message.get_content())


def _links(body: str) -> list[str]:
    return re.findall(r"https://api\.exemple\.fr/\S+\?token=[A-Za-z0-9_-]{20,}", body)


def _local(link: str) -> str:
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"


def test_operator_creates_staff_who_logs_in(gateway: TestClient, tmp_path: Path) -> None:
    database = tmp_path / "gateway.db"
    created = _gateway_command(
        database,
        "staff",
        "create",
        "--email",
        "Equipe@Plateforme.fr",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert created.returncode == 0, created.stderr
    assert "equipe@plateforme.fr" in created.stdout
    assert PASSWORD not in created.stdout + created.stderr
    login = gateway.post(
        "/api/v1/auth/login", json={"email": "equipe@plateforme.fr", "password": PASSWORD}
    )
    assert login.status_code == 200, login.text  # verified at once: no mail to confirm
    token = login.json()["access_token"]
    keys = gateway.post(
        "/api/v1/keys",
        json={"name": "modération", "scopes": ["catalog:write", "needs:read"]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert keys.status_code == 201, keys.text  # staff scopes
    listed = _gateway_command(database, "staff", "list")
    assert listed.returncode == 0
    assert re.search(r"equipe@plateforme\.fr\s+\d{4}-\d{2}-\d{2} \d{2}:\d{2}\s+oui", listed.stdout)


def test_staff_command_refusals(gateway: TestClient, tmp_path: Path) -> None:
    database = tmp_path / "gateway.db"
    short = _gateway_command(
        database,
        "staff",
        "create",
        "--email",
        "a@plateforme.fr",
        "--password-stdin",
        stdin="court\n",
    )
    assert short.returncode == 1 and "12 caractères" in short.stderr
    bad_address = _gateway_command(
        database,
        "staff",
        "create",
        "--email",
        "pas-une-adresse",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert bad_address.returncode == 1 and "Adresse e-mail invalide" in bad_address.stderr
    # Without a terminal and without --password-stdin, the command does not wait for input.
    no_terminal = _gateway_command(database, "staff", "create", "--email", "a@plateforme.fr")
    assert no_terminal.returncode == 1 and "--password-stdin" in no_terminal.stderr
    # No option takes the password on the command line.
    argv = _gateway_command(
        database, "staff", "create", "--email", "a@plateforme.fr", "--password", PASSWORD
    )
    assert argv.returncode == 2
    first = _gateway_command(
        database,
        "staff",
        "create",
        "--email",
        "b@plateforme.fr",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert first.returncode == 0
    again = _gateway_command(
        database,
        "staff",
        "create",
        "--email",
        "b@plateforme.fr",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert again.returncode == 1 and "existe déjà" in again.stderr
    listed = _gateway_command(database, "staff", "list").stdout
    assert "b@plateforme.fr" in listed and "a@plateforme.fr" not in listed
    unmigrated = _gateway_command(tmp_path / "vide.db", "staff", "list")
    assert unmigrated.returncode == 1 and "non migrée" in unmigrated.stderr
    assert "Traceback" not in unmigrated.stderr
    production = subprocess.run(
        [sys.executable, "-m", "services.gateway.cli", "staff", "list"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={
            **os.environ,
            "GATEWAY_DATABASE_URL": f"sqlite:///{database}",
            "MI_ENVIRONMENT": "production",
        },
        timeout=60,
        check=False,
    )
    assert production.returncode == 1 and "Traceback" not in production.stderr
    assert "Configuration de la passerelle invalide" in production.stderr


def test_staff_is_not_a_registration_role(gateway: TestClient) -> None:
    response = gateway.post(
        "/api/v1/auth/register",
        json={"email": "x@exemple.fr", "password": PASSWORD, "role": "staff"},
    )
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert error["field"] == "role"
    assert "staff" not in error["detail"]
    for role in ("public_buyer", "private_buyer", "supplier_manager"):
        assert role in error["detail"]


def test_registering_a_known_address_answers_alike_and_mails_its_owner(
    gateway: TestClient, tmp_path: Path
) -> None:
    address = "acheteuse@exemple.fr"
    first = gateway.post(
        "/api/v1/auth/register",
        json={"email": address, "password": PASSWORD, "role": "public_buyer"},
    )
    second = gateway.post(
        "/api/v1/auth/register",
        json={"email": address.upper(), "password": PASSWORD + "-autre", "role": "public_buyer"},
    )
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert first.headers["content-type"] == second.headers["content-type"]
    mail_dir = tmp_path / "mail"
    # The confirmation e-mail: a link that confirms when clicked.
    (verify_link,) = _links(_mail(mail_dir, address, "confirmez"))
    assert verify_link.startswith("https://api.exemple.fr/api/v1/auth/verify?token=")
    # The owner learns someone tried, and gets what to do: log in, or a working reset link.
    told = _mail(mail_dir, address, "déjà un compte")
    assert "/api/v1/auth/login" in told
    links = _links(told)
    reset_link = next(link for link in links if "/password-reset/confirm" in link)
    assert any("/auth/verify" in link for link in links)  # not yet confirmed: a new link too
    assert gateway.get(_local(verify_link)).status_code == 200
    login = gateway.post("/api/v1/auth/login", json={"email": address, "password": PASSWORD})
    assert login.status_code == 200  # the second registration changed nothing
    assert gateway.get(_local(reset_link)).status_code == 200  # checked, not used up
    token = urlsplit(reset_link).query.removeprefix("token=")
    new_password = PASSWORD + "-nouveau"
    confirmed = gateway.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "password": new_password}
    )
    assert confirmed.status_code == 204
    assert gateway.get(_local(reset_link)).status_code == 401
    relogin = gateway.post("/api/v1/auth/login", json={"email": address, "password": new_password})
    assert relogin.status_code == 200


def test_reset_mail_carries_a_link(gateway: TestClient, tmp_path: Path) -> None:
    address = "fournisseur@exemple.fr"
    gateway.post(
        "/api/v1/auth/register",
        json={"email": address, "password": PASSWORD, "role": "supplier_manager"},
    )
    assert gateway.post("/api/v1/auth/password-reset", json={"email": address}).status_code == 202
    body = _mail(tmp_path / "mail", address, "nouveau mot de passe")
    (link,) = _links(body)
    assert link.startswith("https://api.exemple.fr/api/v1/auth/password-reset/confirm?token=")
    assert "/api/docs" in body  # says where the operation is documented until the site exists
    assert gateway.get(_local(link)).status_code == 200


def test_with_the_website_set_the_mails_open_its_pages(tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    settings = gateway_settings(
        tmp_path,
        catalog_url=dead,
        sourcing_url=dead,
        public_url="https://api.exemple.fr",
        web_url="https://site.exemple.fr/",
    )
    address = "acheteur@exemple.fr"
    registration = {"email": address, "password": PASSWORD, "role": "private_buyer"}
    with TestClient(create_app(settings)) as gateway:  # type: ignore[arg-type]
        gateway.post("/api/v1/auth/register", json=registration)
        gateway.post("/api/v1/auth/register", json=registration)
        gateway.post("/api/v1/auth/password-reset", json={"email": address})
        mails = tmp_path / "mail"
        confirm = _mail(mails, address, "confirmez")
        told = _mail(mails, address, "déjà un compte")
        reset = _mail(mails, address, "nouveau mot de passe")
    site = r"https://site\.exemple\.fr/[\w/-]+\?token=[A-Za-z0-9_-]{20,}"
    (verify_link,) = re.findall(site, confirm)
    assert verify_link.startswith("https://site.exemple.fr/compte/confirmation?token=")
    (reset_link,) = re.findall(site, reset)
    assert reset_link.startswith("https://site.exemple.fr/compte/nouveau-mot-de-passe?token=")
    assert "connectez-vous (https://site.exemple.fr/connexion)" in told
    assert {urlsplit(link).path for link in re.findall(site, told)} == {
        "/compte/confirmation",
        "/compte/nouveau-mot-de-passe",
    }
    for body in (confirm, told, reset):
        assert "pas encore ouvert" not in body
        assert "api.exemple.fr" not in body


def test_me_answers_the_account_even_without_the_catalog(
    gateway: TestClient, tmp_path: Path
) -> None:
    address = "gestionnaire@exemple.fr"
    gateway.post(
        "/api/v1/auth/register",
        json={"email": address, "password": PASSWORD, "role": "supplier_manager"},
    )
    (verify_link,) = _links(_mail(tmp_path / "mail", address, "confirmez"))
    assert gateway.get(_local(verify_link)).status_code == 200
    tokens = gateway.post("/api/v1/auth/login", json={"email": address, "password": PASSWORD})
    session = {"Authorization": f"Bearer {tokens.json()['access_token']}"}
    me = gateway.get("/api/v1/me", headers=session)
    assert me.status_code == 200, me.text
    body = me.json()
    assert body["account"]["email"] == address
    assert body["account"]["role"] == "supplier_manager"
    assert body["account"]["email_verified"] is True
    # The catalog is down here: the account answers, and says what is missing.
    assert body["structures"] is None and body["claims"] is None
    assert body["missing"] == ["catalog"]
    key = gateway.post(
        "/api/v1/keys", json={"name": "outil", "scopes": ["catalog:read"]}, headers=session
    ).json()["key"]
    assert (
        gateway.get("/api/v1/me", headers={"X-Api-Key": key}).json()["account"] == body["account"]
    )
    anonymous = gateway.get("/api/v1/me")
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == "application/problem+json"


def _controlling_terminal() -> None:
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def _read_until(controller: int, prompt: str) -> str:
    seen = ""
    while prompt not in seen:
        ready, _, _ = select.select([controller], [], [], 30)
        assert ready, f"no prompt « {prompt} » (got {seen!r})"
        seen += os.read(controller, 1024).decode(errors="replace")
    return seen


def _on_a_terminal(database: Path, first: str, second: str) -> tuple[int, str]:
    """The command run on a terminal, as an operator at a keyboard runs it: each password is
    typed once its prompt has shown."""
    controller, terminal = os.openpty()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "services.gateway.cli",
            "staff",
            "create",
            "--email",
            "t@plateforme.fr",
        ],
        stdin=terminal,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        env={**os.environ, "GATEWAY_DATABASE_URL": f"sqlite:///{database}"},
        preexec_fn=_controlling_terminal,
    )
    os.close(terminal)
    try:
        _read_until(controller, "Mot de passe")
        os.write(controller, f"{first}\n".encode())
        shown = _read_until(controller, "seconde fois")
        os.write(controller, f"{second}\n".encode())
        assert first not in shown  # typed without echo
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
        os.close(controller)
    return process.returncode, out.decode() + err.decode()


def test_staff_command_asks_the_password_twice(gateway: TestClient, tmp_path: Path) -> None:
    database = tmp_path / "gateway.db"
    code, output = _on_a_terminal(database, PASSWORD, PASSWORD + "-autre")
    assert code == 1 and "diffèrent" in output
    assert "t@plateforme.fr" not in _gateway_command(database, "staff", "list").stdout
    code, output = _on_a_terminal(database, PASSWORD, PASSWORD)
    assert code == 0, output
    login = gateway.post(
        "/api/v1/auth/login", json={"email": "t@plateforme.fr", "password": PASSWORD}
    )
    assert login.status_code == 200
