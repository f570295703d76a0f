"""One write path for a structure's child rows (activities, offers): load the structure,
authorise, take the version, validate, write, record the listing change."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel
from sqlmodel import Session

from services.catalog.audit import service as audit
from services.catalog.concurrency import take_version
from services.catalog.outbox.service import record_listing_change
from services.catalog.ownership.permissions import require_manager
from services.catalog.structures.models import Activity, Offer
from services.catalog.structures.repository import StructureRepository
from services.catalog.structures.service import get_structure
from services.catalog.validation import validated
from services.common.db import utcnow
from services.common.errors import NotFound
from services.common.identity import Principal

Child = TypeVar("Child", Activity, Offer)
Payload = TypeVar("Payload", bound=BaseModel)


class ChildRows(ABC, Generic[Child, Payload]):
    """The rules every child row shares; a subclass says how its payload maps to columns."""

    table: ClassVar[type[Any]]
    payload: ClassVar[type[Any]]
    entity: ClassVar[str]
    missing: ClassVar[str]  # formatted with child_id and structure_id

    @abstractmethod
    def fields(self, payload: Payload) -> dict[str, Any]:
        """The columns a valid payload sets."""

    @abstractmethod
    def check(self, session: Session, payload: Payload) -> None:
        """Checks the payload against the reference data."""

    @abstractmethod
    def current(self, row: Child, sent: dict[str, Any]) -> dict[str, Any]:
        """The row as a payload, before the fields sent are laid over it."""

    @abstractmethod
    def removed(self, row: Child) -> dict[str, list[Any]]:
        """What the audit trail keeps of a removed row."""

    def edited(self, row: Child) -> None:
        """Whatever else a manager's edit changes on the row."""

    def get(self, session: Session, structure_id: int, child_id: int) -> Child:
        row: Child | None = StructureRepository(session).child(self.table, child_id)
        if row is None or row.structure_id != structure_id:
            raise NotFound(self.missing.format(child_id=child_id, structure_id=structure_id))
        return row

    def editable(
        self, session: Session, principal: Principal, structure_id: int, child_id: int
    ) -> Child:
        """The row, once the caller is known to manage its structure."""
        require_manager(session, principal, structure_id)
        return self.get(session, structure_id, child_id)

    def record(
        self,
        session: Session,
        principal: Principal,
        row: Child,
        verb: str,
        changes: dict[str, Any],
    ) -> None:
        record_listing_change(
            session,
            principal,
            row.structure_id,
            f"{self.entity}.{verb}",
            self.entity,
            row.id,
            changes,
        )

    def create(
        self, session: Session, principal: Principal, structure_id: int, payload: Payload
    ) -> Child:
        get_structure(session, structure_id)
        require_manager(session, principal, structure_id)
        self.check(session, payload)
        row: Child = self.table(structure_id=structure_id, **self.fields(payload))
        session.add(row)
        session.flush()
        self.record(session, principal, row, "create", audit.diff({}, self.fields(payload)))
        return row

    def update(
        self,
        session: Session,
        principal: Principal,
        structure_id: int,
        child_id: int,
        expected_version: int,
        update: BaseModel,
    ) -> Child:
        """Lays the fields sent over the row, then validates the whole as a new payload."""
        row = self.editable(session, principal, structure_id, child_id)
        sent = update.model_dump(exclude_unset=True, mode="json")
        payload: Payload = validated(self.payload, self.current(row, sent) | sent)
        self.check(session, payload)
        row.version = take_version(session, self.table, child_id, expected_version)
        fields = self.fields(payload)
        before = {name: getattr(row, name) for name in fields}
        for name, value in fields.items():
            setattr(row, name, value)
        self.edited(row)
        row.updated_at = utcnow()
        session.add(row)
        self.record(session, principal, row, "update", audit.diff(before, fields))
        session.flush()
        return row

    def delete(
        self,
        session: Session,
        principal: Principal,
        structure_id: int,
        child_id: int,
        expected_version: int,
    ) -> None:
        row = self.editable(session, principal, structure_id, child_id)
        take_version(session, self.table, child_id, expected_version)
        self.record(session, principal, row, "delete", self.removed(row))
        session.delete(row)
        session.flush()
