"""Alembic environment of the sourcing database: buyers' needs, matches, answers, mail."""

from sqlalchemy import MetaData
from sqlmodel import SQLModel

import services.common.mail
import services.sourcing.needs.models  # noqa: F401
from migrations.env_common import run
from services.sourcing.settings import SourcingSettings

SOURCING_TABLES = ("need", "need_match", "need_answer", "outgoing_mail")
target = MetaData(naming_convention=SQLModel.metadata.naming_convention)
for name in SOURCING_TABLES:
    SQLModel.metadata.tables[name].to_metadata(target)

run(SourcingSettings().database_url, target)
