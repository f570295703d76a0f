"""The real processes, shared by the end-to-end modules."""

from tests.e2e.test_services import system

__all__ = ["system"]
