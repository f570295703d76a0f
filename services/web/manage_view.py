"""What the supplier-manager pages share: whose structure it is, refused to anyone else, and
the menu of a managed structure's pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.web.api import ApiProblem
from services.web.visitor import Visitor

STAFF = "staff"
ATTESTING_KINDS = ("EA", "EATT", "ESAT")
# The pages of one managed structure, in the order of its side menu.
MANAGE_PAGES: tuple[tuple[str, str, str], ...] = (
    ("apercu", "", "Tableau de bord"),
    ("fiche", "/fiche", "Fiche et présentation"),
    ("activites", "/activites", "Activités et zones"),
    ("offres", "/offres", "Offres"),
    ("besoins", "/besoins", "Besoins d'acheteurs"),
    ("attestations", "/attestations", "Attestations OETH"),
    ("equipe", "/equipe", "Équipe"),
    ("historique", "/historique", "Historique"),
)


class NotYourStructure(Exception):
    """The signed-in user neither manages this structure nor is staff: 403, nothing shown."""


@dataclass
class Managed:
    """A structure as its manager (or the staff) sees it in the manager's pages."""

    structure: dict[str, Any]
    role: str | None  # "admin" / "editor"; None for staff who are not members
    is_staff: bool

    @property
    def id(self) -> int:
        return int(self.structure["id"])

    @property
    def name(self) -> str:
        return str(self.structure.get("brand") or self.structure.get("name") or "")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin" or self.is_staff

    def href(self, page: str = "") -> str:
        return f"/espace-structure/{self.id}{page}"

    def menu(self) -> list[tuple[str, str, str]]:
        # OETH attestations are for EA, EATT and ESAT only (shown when the kind is unknown).
        kind = self.structure.get("kind")
        hidden = {"attestations"} if kind and kind not in ATTESTING_KINDS else set()
        return [
            (key, self.href(suffix), label)
            for key, suffix, label in MANAGE_PAGES
            if key not in hidden
        ]


def calls(visitor: Visitor) -> dict[str, Any]:
    """What every API call of a signed-in page carries."""
    return {"user": visitor.user, "client_ip": visitor.client_ip}


def is_staff(visitor: Visitor) -> bool:
    return visitor.user is not None and visitor.user.role == STAFF


async def my_account(visitor: Visitor) -> dict[str, Any]:
    """`/me`: the account, the structures it manages, its claims."""
    me: dict[str, Any] = await visitor.state.api.get("/me", **calls(visitor))
    return me


async def managed_structure(visitor: Visitor, structure_id: int) -> Managed:
    """The structure, once the user is known to manage it (or is staff); else NotYourStructure,
    before anything of it is read."""
    staff = is_staff(visitor)
    role: str | None = None
    if not staff:
        me = await my_account(visitor)
        role = next(
            (str(s["role"]) for s in me.get("structures") or [] if s.get("id") == structure_id),
            None,
        )
        if role is None:
            raise NotYourStructure
    try:
        structure = await visitor.state.api.get(f"/structures/{structure_id}", **calls(visitor))
    except ApiProblem as problem:
        if problem.status == 404 and not staff:
            raise NotYourStructure from problem
        raise
    return Managed(structure=structure, role=role, is_staff=staff)


def if_match(version: object) -> dict[str, str]:
    """The If-Match header of a write, from the version a form was loaded with (none when the
    form carried no version: the API then asks for it)."""
    text = str(version).strip() if version is not None else ""
    return {"If-Match": f'"v{text}"'} if text.isdigit() else {}


def stale_warning(problem: ApiProblem, this: str) -> str:
    """What a list page says when a write met a change made meanwhile; `this` names the item
    (« Cette activité », « Cette offre »)."""
    if problem.status == 404:
        return f"{this} a été retirée entre-temps : la liste ci-dessous est à jour."
    return (
        f"{this} a été modifiée entre-temps par quelqu'un d'autre : la liste ci-dessous "
        "est à jour ; vérifiez-la puis recommencez."
    )
