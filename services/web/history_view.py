"""A structure's audit trail in words: who did what, newest first, grouped by day (French time),
with the fields named as the listing's form names them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from services.common.text import FRENCH_MONTHS as MONTHS

PARIS = ZoneInfo("Europe/Paris")
PER_PAGE = 50
ROLE_LABELS = {"admin": "administrateur", "editor": "éditeur"}
SOURCE_LABELS = {"siae": "ASP", "esat": "FINESS"}

# Field → (label with its article, label alone, feminine): « a modifié la description »,
# « import des données publiques : adresse mise à jour ».
FIELDS: dict[str, tuple[str, str, bool]] = {
    "name": ("la raison sociale", "raison sociale", True),
    "brand": ("l'enseigne", "enseigne", True),
    "description": ("la description", "description", True),
    "website": ("le site internet", "site internet", False),
    "logo_url": ("le logo", "logo", False),
    "logo": ("le logo", "logo", False),
    "photos": ("les photos", "photos", True),
    "address": ("l'adresse", "adresse", True),
    "postcode": ("le code postal", "code postal", False),
    "commune_code": ("la commune", "commune", True),
    "city": ("la commune", "commune", True),
    "department_code": ("le département", "département", False),
    "region_code": ("la région", "région", True),
    "latitude": ("la position sur la carte", "position sur la carte", True),
    "longitude": ("la position sur la carte", "position sur la carte", True),
    "coordinates_source": ("la source de la position", "source de la position", True),
    "is_qpv": ("le quartier prioritaire (QPV)", "quartier prioritaire (QPV)", False),
    "is_zrr": ("la zone de revitalisation rurale", "zone de revitalisation rurale", True),
    "headcount_insertion": ("l'effectif en insertion", "effectif en insertion", False),
    "headcount_permanent": ("l'effectif permanent", "effectif permanent", False),
    "turnover_eur": ("le chiffre d'affaires", "chiffre d'affaires", False),
    "year_founded": ("l'année de création", "année de création", True),
    "networks": ("les réseaux", "réseaux", False),
    "labels": ("les labels et certifications", "labels et certifications", False),
    "client_references": ("les références clients", "références clients", True),
    "kind": ("le type de structure", "type de structure", False),
    "family": ("la famille", "famille", True),
    "contact_email": ("l'adresse de contact", "adresse de contact", True),
    "is_active": ("la publication de la fiche", "publication de la fiche", True),
    "siret": ("le SIRET", "SIRET", False),
    "siren": ("le SIREN", "SIREN", False),
    "finess": ("le numéro FINESS", "numéro FINESS", False),
    "naf": ("le code NAF", "code NAF", False),
    "legal_form": ("la forme juridique", "forme juridique", True),
    "source_updated_at": ("la date des données publiques", "date des données publiques", True),
    # Activities and offers
    "sector_slug": ("le secteur", "secteur", False),
    "presta_types": ("les types de prestation", "types de prestation", False),
    "presta_type": ("le type de prestation", "type de prestation", False),
    "range_kind": ("le périmètre", "périmètre", False),
    "radius_km": ("le rayon d'intervention", "rayon d'intervention", False),
    "zones": ("les zones d'intervention", "zones d'intervention", True),
    "inferred": ("la confirmation", "confirmation", True),
    "title": ("le titre", "titre", False),
    "unit": ("l'unité", "unité", True),
    "price_indication": ("l'indication de prix", "indication de prix", True),
    "minimum_order": ("la commande minimum", "commande minimum", True),
    "capacity": ("la capacité", "capacité", True),
    "lead_time_days": ("le délai", "délai", False),
    "delivery_zone": ("la zone de livraison", "zone de livraison", True),
    "alt": ("le texte alternatif", "texte alternatif", False),
    "photo": ("une photo", "photo", True),
}
# The same thing said twice (a commune change also moves the département): said once.
_SAME = {"longitude": "latitude", "city": "commune_code"}


@dataclass
class Actor:
    account_id: str
    email: str | None
    role: str | None  # the member's role today, if still a member


@dataclass
class Event:
    at: datetime
    who: str
    what: str


@dataclass
class Day:
    label: str
    events: list[Event] = field(default_factory=list)


def local(value: str) -> datetime:
    at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(PARIS)


def day_label(at: datetime) -> str:
    day = "1er" if at.day == 1 else str(at.day)
    return f"{day} {MONTHS[at.month - 1]} {at.year}"


def short_name(email: str) -> str:
    """« marie.dupont@… » → « Marie D. »; an address of one word stays as it is."""
    local_part = email.split("@", 1)[0]
    words = [w for w in local_part.replace("-", ".").replace("_", ".").split(".") if w]
    if len(words) >= 2 and words[0].isalpha() and words[1][:1].isalpha():
        return f"{words[0].capitalize()} {words[1][0].upper()}."
    return email


def field_list(names: list[str], with_article: bool = True) -> str:
    labels: list[str] = []
    for name in names:
        name = _SAME.get(name, name)
        article, alone, _ = FIELDS.get(name, (name, name, False))
        label = article if with_article else alone
        if label not in labels:
            labels.append(label)
    if len(labels) > 1:
        return ", ".join(labels[:-1]) + " et " + labels[-1]
    return labels[0] if labels else ""


def _updated(names: list[str]) -> str:
    """« adresse mise à jour », « code postal et commune mis à jour »."""
    text = field_list(names, with_article=False)
    distinct = {_SAME.get(n, n) for n in names}
    feminine = len(distinct) == 1 and FIELDS.get(next(iter(distinct)), ("", "", False))[2]
    agreement = ("mise" if feminine else "mis") if len(distinct) == 1 else "mis"
    if len(distinct) > 1 and all(FIELDS.get(n, ("", "", False))[2] for n in distinct):
        agreement = "mises"
    return f"{text} {agreement} à jour"


def _quoted(value: Any) -> str:
    return f" « {value} »" if value not in (None, "") else ""


def who(entry: Mapping[str, Any], members: Mapping[str, Actor], me: str | None) -> str:
    """Who did it, as the sentence begins."""
    actor, role = str(entry.get("actor", "")), str(entry.get("actor_role", ""))
    if actor.startswith("import:"):
        source = actor.split(":", 1)[1]
        return f"Import des données publiques ({SOURCE_LABELS.get(source, source)}) :"
    if role == "staff":
        return "L'équipe de la plateforme"
    if role == "system" or actor == "system":
        return "La plateforme"
    member = members.get(actor)
    if member is None:
        return "Un ancien gestionnaire"
    role_label = ROLE_LABELS.get(member.role or "", "gestionnaire")
    you = ", vous" if me and (member.email or "").lower() == me.lower() else ""
    return f"{short_name(member.email or actor)} ({role_label}{you})"


def what(entry: Mapping[str, Any], sectors: Mapping[str, str], members: Mapping[str, Actor]) -> str:
    action = str(entry.get("action", ""))
    changes: dict[str, Any] = entry.get("changes") or {}
    entity_id = entry.get("entity_id")
    names = list(changes)
    imported = str(entry.get("actor", "")).startswith("import:")

    def new(name: str) -> Any:
        value = changes.get(name)
        return value[1] if isinstance(value, list) and len(value) == 2 else None

    def old(name: str) -> Any:
        value = changes.get(name)
        return value[0] if isinstance(value, list) and len(value) == 2 else None

    def account(name: str = "account_id") -> str:
        account_id = str(old(name) or new(name) or "")
        member = members.get(account_id)
        return short_name(member.email) if member and member.email else "un gestionnaire"

    if action == "structure.update":
        parts: list[str] = []
        if "is_active" in changes:
            parts.append("a réactivé la fiche" if new("is_active") else "a désactivé la fiche")
            names.remove("is_active")
        if names:
            parts.append(f"a modifié {field_list(names)}")
        return " et ".join(parts) or "a enregistré la fiche sans changement"
    if action == "structure.import" or (imported and action.startswith("structure.")):
        if action == "structure.delist":
            return "la structure ne figure plus dans le fichier public : fiche désactivée"
        return _updated(names) if names else "fiche relue, sans changement"
    if action == "structure.delist":
        return "a désactivé la fiche"
    if action.startswith("activity."):
        sector = sectors.get(str(new("sector_slug") or old("sector_slug") or ""), "")
        label = f"l'activité{_quoted(sector)}" if sector else "une activité"
        verb = action.split(".", 1)[1]
        if verb == "create":
            return f"a déclaré {label}"
        if verb == "delete":
            return f"a supprimé {label}"
        if verb == "confirm":
            return f"a confirmé {label} (déduite du code NAF)"
        return f"a modifié {field_list(names)} d'une activité" if names else "a relu une activité"
    if action.startswith("offer.") and action != "offer.photos":
        title = new("title") or old("title")
        label = f"l'offre{_quoted(title)}" if title else "une offre"
        verb = action.split(".", 1)[1]
        if verb == "create":
            return f"a ajouté {label}"
        if verb == "delete":
            return f"a supprimé {label}"
        return f"a modifié {field_list(names)} de {label}" if names else f"a relu {label}"
    if action.startswith("claim."):
        verb = action.split(".", 1)[1]
        number = f" n° {entity_id}" if entity_id else ""
        if verb == "create":
            kind = new("kind")
            return (
                f"a demandé à rejoindre l'équipe (demande{number})"
                if kind == "join"
                else f"a demandé à gérer la structure (demande{number})"
            )
        if verb == "verified":
            return f"a confirmé la demande{number} avec le code reçu par la structure"
        if verb == "proof":
            return f"a déposé un justificatif pour la demande{number}"
        if verb == "accept":
            if new("domain"):
                return (
                    f"a accepté la demande{number} : adresse au domaine du site ({new('domain')})"
                )
            return f"a accepté la demande{number}"
        if verb == "refuse":
            reason = new("reason")
            return f"a refusé la demande{number}" + (f" (motif : {reason})" if reason else "")
    if action == "member.role":
        before, after = old("role"), new("role")
        return (
            f"a changé le rôle de {account()} : {ROLE_LABELS.get(str(before), before)} → "
            f"{ROLE_LABELS.get(str(after), after)}"
        )
    if action == "member.remove":
        if str(old("account_id") or "") == str(entry.get("actor", "")):
            return "a quitté l'équipe"
        return f"a retiré {account()} de l'équipe"
    if action.startswith("member."):
        return f"a ajouté {account()} à l'équipe"
    if action.startswith("invitation."):
        verb = action.split(".", 1)[1]
        email = new("email") or old("email")
        target = f" de {email}" if email else ""
        return {
            "create": f"a invité{_quoted(email)} à rejoindre l'équipe",
            "revoke": f"a retiré l'invitation{target}",
            "accept": "a accepté une invitation et rejoint l'équipe",
        }.get(verb, f"a modifié une invitation{target}")
    if action == "structure.logo":
        if new("logo") is None:
            return "a retiré le logo"
        return "a remplacé le logo" if old("logo") else "a ajouté un logo"
    if action in ("structure.photos", "offer.photos"):
        where = " d'une offre" if action.startswith("offer") else ""
        if "alt" in changes:
            return f"a modifié le texte alternatif d'une photo{where}"
        if new("photo") is None:
            return f"a retiré une photo{where}"
        return f"a ajouté une photo{where}"
    return f"a modifié {field_list(names)}" if names else "a modifié la fiche"


def days(
    entries: list[dict[str, Any]],
    members: Mapping[str, Actor],
    sectors: Mapping[str, str],
    me: str | None,
) -> list[Day]:
    """The entries (newest first, as the API gives them) grouped by their French day."""
    grouped: list[Day] = []
    for entry in entries:
        at = local(str(entry["at"]))
        label = day_label(at)
        if not grouped or grouped[-1].label != label:
            grouped.append(Day(label))
        grouped[-1].events.append(
            Event(at=at, who=who(entry, members, me), what=what(entry, sectors, members))
        )
    return grouped


def page_count(total: int, per_page: int = PER_PAGE) -> int:
    return max(1, -(-total // per_page))
