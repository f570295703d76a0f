"""`gateway` command, for operators on the server: staff accounts.

`gateway staff create --email …` asks the password twice (or reads it from stdin with
`--password-stdin`), never from the command line where other users and the shell history see it.
Exit codes: 0 done, 1 refused (the reason is printed), 2 wrong usage.
"""

from __future__ import annotations

import argparse
import getpass
import re
import sys

from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from services.common.db import make_engine
from services.common.errors import Conflict
from services.gateway.accounts import service
from services.gateway.accounts.schemas import (
    EMAIL_PATTERN,
    PASSWORD_MAX_LENGTH,
    PASSWORD_MIN_LENGTH,
)
from services.gateway.settings import get_settings

REFUSED = 1


class Refused(Exception):
    """What the operator must fix, in French."""


def _email(value: str) -> str:
    email = value.strip().lower()
    if len(email) > 254 or not re.fullmatch(EMAIL_PATTERN, email):
        raise Refused(f"Adresse e-mail invalide : « {value[:80]} ».")
    return email


def _checked_password(password: str) -> str:
    if len(password) < PASSWORD_MIN_LENGTH:
        raise Refused(f"Mot de passe trop court : {PASSWORD_MIN_LENGTH} caractères au moins.")
    if len(password) > PASSWORD_MAX_LENGTH:
        raise Refused(f"Mot de passe trop long : {PASSWORD_MAX_LENGTH} caractères au plus.")
    return password


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return _checked_password(sys.stdin.readline().rstrip("\r\n"))
    if not sys.stdin.isatty():
        raise Refused(
            "Pas de terminal pour demander le mot de passe : passez-le sur l'entrée standard "
            "avec --password-stdin."
        )
    first = _checked_password(getpass.getpass("Mot de passe : "))
    if getpass.getpass("Le même, une seconde fois : ") != first:
        raise Refused("Les deux mots de passe diffèrent : rien n'a été créé.")
    return first


def _create(email: str, from_stdin: bool) -> None:
    address = _email(email)
    password = _password(from_stdin)
    engine = make_engine(get_settings().database_url)
    try:
        with Session(engine) as session:
            try:
                account = service.create_staff(session, address, password)
            except Conflict as exc:
                raise Refused(exc.detail + " Rien n'a été créé.") from exc
            session.commit()
            print(f"Compte équipe créé pour {account.email} (adresse confirmée, id {account.id}).")
    finally:
        engine.dispose()


def _list() -> None:
    engine = make_engine(get_settings().database_url)
    try:
        with Session(engine) as session:
            accounts = service.staff_accounts(session)
    finally:
        engine.dispose()
    if not accounts:
        print("Aucun compte équipe. Créez-en un : gateway staff create --email <adresse>")
        return
    print(f"{'adresse':40}  {'créé le':20}  confirmé")
    for account in accounts:
        created = account.created_at.strftime("%Y-%m-%d %H:%M")
        verified = "oui" if account.email_verified_at is not None else "non"
        print(f"{account.email:40}  {created:20}  {verified}")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gateway", description="Comptes de l'équipe.")
    commands = parser.add_subparsers(dest="command", required=True)
    staff = commands.add_parser("staff", help="comptes de l'équipe de la plateforme")
    actions = staff.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="créer un compte équipe, adresse confirmée")
    create.add_argument("--email", required=True, help="adresse du compte")
    create.add_argument(
        "--password-stdin",
        action="store_true",
        help="lire le mot de passe sur l'entrée standard (une ligne) au lieu de le demander",
    )
    actions.add_parser("list", help="lister les comptes équipe")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.action == "create":
            _create(args.email, args.password_stdin)
        else:
            _list()
    except Refused as exc:
        print(f"Refusé : {exc}", file=sys.stderr)
        return REFUSED
    except ValidationError as exc:
        # A field's name, or the variables a rule across fields names in its message.
        names = ", ".join(
            sorted(
                {
                    name
                    for e in exc.errors()
                    for name in (
                        [str(e["loc"][0])]
                        if e["loc"]
                        else re.findall(r"\b[A-Z][A-Z_]{3,}\b", e["msg"])
                    )
                }
            )
        )
        print(
            f"Configuration de la passerelle invalide ({names}) : rien n'a été fait.",
            file=sys.stderr,
        )
        return REFUSED
    except SQLAlchemyError as exc:
        print(
            "Base de données de la passerelle injoignable ou non migrée "
            f"(GATEWAY_DATABASE_URL ; {type(exc).__name__}) : lancez « make migrate » "
            "ou « alembic -c migrations/alembic.ini -n gateway upgrade head ». Rien n'a été fait.",
            file=sys.stderr,
        )
        return REFUSED
    except (KeyboardInterrupt, EOFError):
        print("\nInterrompu : rien n'a été créé.", file=sys.stderr)
        return REFUSED
    return 0


if __name__ == "__main__":
    sys.exit(main())
