"""The curated NAF → sector mapping: complete for the imported structures, and well-formed."""

from __future__ import annotations

from services.catalog.imports.naf_mapping import load_naf_mapping
from services.domain.kinds import PrestaType
from tests.support import DATA, csv_rows

MAPPING = load_naf_mapping(DATA)
NAF_CODES = {row["code_ape"] for row in csv_rows("taxonomies/naf_rev2_sous_classes.csv")}
SECTORS = {row["secteur_slug"] for row in csv_rows("taxonomies/marche_secteurs.csv")}
# Codes in the public file that are not NAF rév. 2 codes at all; the import drops them with a note.
NOT_NAF = {"7247Z"}


def test_every_naf_code_of_the_imported_structures_maps_or_is_listed_unmapped() -> None:
    used = {
        row["naf"].upper() for row in csv_rows("structures/siae_marche_fixture.csv") if row["naf"]
    }
    assert used - NAF_CODES == NOT_NAF
    uncovered = sorted(code for code in used & NAF_CODES if not MAPPING.covers(code))
    assert uncovered == []


def test_mapping_is_well_formed() -> None:
    assert not set(MAPPING.mapped) & set(MAPPING.unmapped)
    assert set(MAPPING.mapped) | set(MAPPING.unmapped) <= NAF_CODES
    for code, entry in MAPPING.mapped.items():
        assert 1 <= len(entry.sectors) <= 3 and set(entry.sectors) <= SECTORS, code
        assert entry.presta_types and set(entry.presta_types) <= {p.value for p in PrestaType}, code
    assert all(reason.strip() for reason in MAPPING.unmapped.values())


def test_the_cleaners_find_their_sector() -> None:
    assert "nettoyage-de-locaux-16" in MAPPING.mapped["8121Z"].sectors
    assert "8899B" in MAPPING.unmapped  # too generic to say what is sold
