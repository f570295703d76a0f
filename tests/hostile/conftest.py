"""A whole system of its own for hostile input: what fuzzing and injection attempts write
(accounts, needs, activities, structures named like formulas) never reaches the data that the
end-to-end tests check."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import IndexedCatalog
from tests.e2e.test_accounts import _account
from tests.e2e.test_authorization_matrix import _staff
from tests.e2e.test_services import System, running_system

ROLES = ("anonymous", "public_buyer", "private_buyer", "supplier_manager", "staff")


@pytest.fixture(scope="session")
def hostile_system(
    indexed_catalog: IndexedCatalog, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[System]:
    quotas = {"GATEWAY_IDENTIFIED_PER_MINUTE": "100000", "GATEWAY_ANONYMOUS_PER_DAY": "100000"}
    folder = tmp_path_factory.mktemp("hostile")
    with running_system(indexed_catalog, folder, "_hostile", quotas) as running:
        yield running


@pytest.fixture(scope="session")
def role_headers(hostile_system: System) -> dict[str, dict[str, str]]:
    """Valid credentials of each role (a session token each), and none for the anonymous."""
    found: dict[str, dict[str, str]] = {"anonymous": {}}
    for role in ROLES[1:-1]:
        _, tokens = _account(hostile_system, role)
        found[role] = {"Authorization": f"Bearer {tokens['access_token']}"}
    found["staff"] = _staff(hostile_system)
    return found
