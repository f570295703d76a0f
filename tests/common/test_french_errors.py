"""Every refusal a client reads is French and names the field, whatever pydantic or the JSON parser said."""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from typing import Any, Literal, Self

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field, HttpUrl, field_validator, model_validator
from pydantic_core import PydanticCustomError

from services.common.errors import FieldValueError, install_error_handlers
from services.domain.places import PlaceLevel


class Colour(StrEnum):
    RED = "rouge"
    BLUE = "bleu"


class Body(BaseModel):
    colour: Colour | None = None
    size: Literal["S", "M"] | None = None
    deadline: date | None = None
    website: HttpUrl | None = None
    reservation: str | None = Field(default=None, pattern="^(L2113-12|L2113-13|both)$")
    tags: list[int] = Field(default_factory=list, max_length=2)
    level: PlaceLevel | None = None
    low: int = 0
    high: int = 0
    code: str | None = None

    @field_validator("code")
    @classmethod
    def _known_code(cls, value: str | None) -> str | None:
        if value == "x":
            raise PydanticCustomError("code_unknown", "code inconnu « {value} »", {"value": value})
        return value

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.low > self.high:
            raise FieldValueError("low", "dépasse high")
        return self


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/things")
    def create(body: Body) -> dict[str, Any]:
        return body.model_dump(mode="json")

    return TestClient(app)


def _refusal(client: TestClient, raw: str) -> dict[str, Any]:
    response = client.post("/things", content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    return problem


ENGLISH = re.compile(r"\b(should|Input|valid|Value error|or|must|Field|required|after)\b")


@pytest.mark.parametrize(
    ("raw", "pointer", "detail"),
    [
        ('{"colour": "vert"}', "/body/colour", "valeurs possibles : « rouge » ou « bleu »"),
        ('{"size": "XL"}', "/body/size", "valeurs possibles : « S » ou « M »"),
        (
            '{"reservation": "L1"}',
            "/body/reservation",
            "valeurs possibles : « L2113-12 », « L2113-13 » ou « both »",
        ),
        ('{"deadline": "2027-13-01"}', "/body/deadline", "date invalide (attendu AAAA-MM-JJ"),
        ('{"deadline": "demain"}', "/body/deadline", "date invalide"),
        ('{"website": "pas-une-adresse"}', "/body/website", "adresse web invalide"),
        ('{"tags": [1, 2, 3]}', "/body/tags", "au plus 2"),
        ('{"tags": [1.5]}', "/body/tags/0", "nombre entier"),
        ('{"low": 3, "high": 1}', "/body/low", "dépasse high"),
        ('{"level": "pays"}', "/body/level", "« commune », « departement » ou « region »"),
        ('{"code": "x"}', "/body/code", "code inconnu « x »"),
    ],
)
def test_each_refusal_is_french_and_names_its_field(
    client: TestClient, raw: str, pointer: str, detail: str
) -> None:
    error = _refusal(client, raw)["errors"][0]
    assert error["pointer"] == pointer
    assert detail in error["detail"]
    assert not ENGLISH.search(error["detail"]), error["detail"]


@pytest.mark.parametrize(
    ("raw", "where", "why"),
    [
        ('{"colour": ', "ligne 1, colonne 12", "une valeur est attendue"),
        ('{\n  "low": 1,\n  high: 2\n}', "ligne 3, colonne 3", "nom de champ entre guillemets"),
        ('{"low": 1} et encore', "ligne 1, colonne 12", "du texte suit la fin du JSON"),
        ('{"low": 1,}', "ligne 1, colonne 11", "nom de champ entre guillemets"),
    ],
)
def test_malformed_json_says_where_and_why(
    client: TestClient, raw: str, where: str, why: str
) -> None:
    problem = _refusal(client, raw)
    error = problem["errors"][0]
    assert error["pointer"] == "/body"
    assert error["detail"].startswith("JSON invalide")
    assert where in error["detail"] and why in error["detail"]
    assert problem["detail"] == error["detail"]


def test_an_untranslated_error_type_still_answers_in_french(client: TestClient) -> None:
    # A nested object where an enum is expected: a type the table may not know.
    error = _refusal(client, '{"colour": {"a": 1}}')["errors"][0]
    assert error["pointer"] == "/body/colour"
    assert not ENGLISH.search(error["detail"]), error["detail"]


def test_levels_are_accepted_as_people_write_them(client: TestClient) -> None:
    for written in ("département", "Département", "DEPARTEMENT", " departement "):
        response = client.post("/things", json={"level": written})
        assert response.status_code == 200, response.text
        assert response.json()["level"] == "departement"
    assert client.post("/things", json={"level": "Région"}).json()["level"] == "region"
