"""A whole system of its own for the security tests: real gateway, catalog and sourcing
processes whose logs and mail (verification codes, answer links) land in one folder."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.conftest import IndexedCatalog
from tests.e2e.test_authorization_matrix import _staff
from tests.e2e.test_services import System, running_system

IDENTITY_SECRET = "e2e-identity-secret-0123456789"  # what running_system gives the services
SESSION_SECRET = "e2e-session-secret-0123456789"


@pytest.fixture(scope="session")
def secure_system(
    indexed_catalog: IndexedCatalog, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[System]:
    folder = tmp_path_factory.mktemp("security")
    quotas = {"GATEWAY_IDENTIFIED_PER_MINUTE": "100000", "GATEWAY_ANONYMOUS_PER_DAY": "100000"}
    # The services' default mail folder is under MI_VAR_DIR: the catalog's codes and sourcing's
    # answer links are then written beside the gateway's mail, where the tests read them.
    previous = os.environ.get("MI_VAR_DIR")
    os.environ["MI_VAR_DIR"] = str(folder)
    try:
        with running_system(indexed_catalog, folder, "_security", quotas) as running:
            if previous is None:
                del os.environ["MI_VAR_DIR"]
            else:
                os.environ["MI_VAR_DIR"] = previous
            yield running
    finally:
        if previous is not None:
            os.environ["MI_VAR_DIR"] = previous
        else:
            os.environ.pop("MI_VAR_DIR", None)


@pytest.fixture(scope="module")
def staff(secure_system: System) -> dict[str, str]:
    """A staff session on the security system (the account is made once: its e-mail is unique),
    opened per module: an access token lives 15 minutes, less than the whole suite."""
    return _staff(secure_system)
