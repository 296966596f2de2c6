"""Who may have an on-site visit (docs/protocol.md, On-site visits): every province, every range
edge, foreign and malformed addresses, and `deskside check-address` (docs/protocol.md, Commands)."""

import itertools
import json
import os
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import call_command

from deskside.core.postal import (
    PROVINCE_RANGES,
    Eligibility,
    Province,
    Refusal,
    check_address,
    province_for,
)

BAD_CODE = "is not a Belgian postal code (four digits, 1000–9992)."


# --- every province ----------------------------------------------------------------------

PROVINCE_CODES = [
    ("1000", Province.BRUSSELS),  # Brussels city
    ("1050", Province.BRUSSELS),  # Ixelles
    ("1200", Province.BRUSSELS),  # Woluwe-Saint-Lambert
    ("1300", Province.WALLOON_BRABANT),  # Wavre
    ("1348", Province.WALLOON_BRABANT),  # Louvain-la-Neuve
    ("1500", Province.FLEMISH_BRABANT),  # Halle
    ("1800", Province.FLEMISH_BRABANT),  # Vilvoorde
    ("3000", Province.FLEMISH_BRABANT),  # Leuven
    ("3300", Province.FLEMISH_BRABANT),  # Tienen
    ("2000", Province.ANTWERP),  # Antwerpen
    ("2800", Province.ANTWERP),  # Mechelen
    ("3500", Province.LIMBURG),  # Hasselt
    ("3600", Province.LIMBURG),  # Genk
    ("4000", Province.LIEGE),  # Liège
    ("4800", Province.LIEGE),  # Verviers
    ("5000", Province.NAMUR),  # Namur
    ("5500", Province.NAMUR),  # Dinant
    ("6000", Province.HAINAUT),  # Charleroi
    ("7000", Province.HAINAUT),  # Mons
    ("7500", Province.HAINAUT),  # Tournai
    ("6700", Province.LUXEMBOURG),  # Arlon
    ("6800", Province.LUXEMBOURG),  # Libramont
    ("8000", Province.WEST_FLANDERS),  # Brugge
    ("8500", Province.WEST_FLANDERS),  # Kortrijk
    ("9000", Province.EAST_FLANDERS),  # Gent
    ("9300", Province.EAST_FLANDERS),  # Aalst
]


@pytest.mark.parametrize(("code", "province"), PROVINCE_CODES, ids=[c for c, _ in PROVINCE_CODES])
def test_belgian_code_is_eligible_with_its_province(code: str, province: Province) -> None:
    assert check_address("BE", code) == Eligibility(eligible=True, province=province, reason=None)


def test_every_province_is_reached() -> None:
    assert {province for _, province in PROVINCE_CODES} == set(Province)


def test_province_names_are_those_of_the_design() -> None:
    assert [p.value for p in Province] == [
        "Brussels",
        "Walloon Brabant",
        "Flemish Brabant",
        "Antwerp",
        "Limburg",
        "Liège",
        "Namur",
        "Hainaut",
        "Luxembourg",
        "West Flanders",
        "East Flanders",
    ]


def test_ranges_cover_1000_to_9992_without_gap_or_overlap() -> None:
    assert PROVINCE_RANGES[0][0] == 1000
    assert PROVINCE_RANGES[-1][1] == 9992
    for (_, last, _), (first, _, _) in itertools.pairwise(PROVINCE_RANGES):
        assert first == last + 1


# --- the edges of every range ------------------------------------------------------------

EDGES = [
    ("1000", Province.BRUSSELS),
    ("1299", Province.BRUSSELS),
    ("1300", Province.WALLOON_BRABANT),
    ("1499", Province.WALLOON_BRABANT),
    ("1500", Province.FLEMISH_BRABANT),
    ("1999", Province.FLEMISH_BRABANT),
    ("2000", Province.ANTWERP),
    ("2999", Province.ANTWERP),
    ("3000", Province.FLEMISH_BRABANT),
    ("3499", Province.FLEMISH_BRABANT),
    ("3500", Province.LIMBURG),
    ("3999", Province.LIMBURG),
    ("4000", Province.LIEGE),
    ("4999", Province.LIEGE),
    ("5000", Province.NAMUR),
    ("5999", Province.NAMUR),
    ("6000", Province.HAINAUT),
    ("6599", Province.HAINAUT),
    ("6600", Province.LUXEMBOURG),
    ("6999", Province.LUXEMBOURG),
    ("7000", Province.HAINAUT),
    ("7999", Province.HAINAUT),
    ("8000", Province.WEST_FLANDERS),
    ("8999", Province.WEST_FLANDERS),
    ("9000", Province.EAST_FLANDERS),
    ("9992", Province.EAST_FLANDERS),
]


@pytest.mark.parametrize(("code", "province"), EDGES, ids=[c for c, _ in EDGES])
def test_range_edge_has_its_province(code: str, province: Province) -> None:
    assert check_address("BE", code).province == province


@pytest.mark.parametrize("code", ["0000", "0999", "999", "9993", "9999", "10000"])
def test_code_outside_1000_to_9992_is_refused(code: str) -> None:
    eligibility = check_address("BE", code)
    assert eligibility == Eligibility(
        eligible=False,
        province=None,
        reason=f"{code} {BAD_CODE}",
        refusal=Refusal.BAD_POSTAL_CODE,
    )


@pytest.mark.parametrize(
    ("code", "province"), [(999, None), (1000, Province.BRUSSELS), (9993, None)]
)
def test_province_for_number(code: int, province: Province | None) -> None:
    assert province_for(code) == province


# --- foreign countries -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "code"),
    [
        ("FR", "75001"),  # Paris
        ("NL", "1012"),  # Amsterdam: four digits, inside the Belgian range
        ("LU", "1009"),  # Luxembourg city: four digits, inside the Belgian range
        ("DE", "52062"),  # Aachen
        ("nl", "1012"),
        ("LU", "L-1009"),
        ("FR", ""),  # the country alone decides: no postal code is needed to refuse
    ],
)
def test_foreign_address_is_refused(country: str, code: str) -> None:
    eligibility = check_address(country, code)
    assert not eligibility.eligible
    assert eligibility.province is None
    assert eligibility.refusal is Refusal.NOT_BELGIUM
    assert eligibility.reason == (
        f"On-site visits are only for clients in Belgium; this address is in {country.upper()}."
    )


@pytest.mark.parametrize("country", ["BE", "be", "Be", " BE ", "BE\n"])
def test_belgium_as_iso_code_in_any_case(country: str) -> None:
    assert check_address(country, "1000").eligible


@pytest.mark.parametrize("country", ["Belgium", "België", "Belgique", "BEL", "B", "B3", "Ｂ Ｅ"])
def test_country_name_or_other_form_is_refused_asking_for_the_code(country: str) -> None:
    eligibility = check_address(country, "1000")
    assert eligibility.refusal is Refusal.BAD_COUNTRY
    assert eligibility.reason == (
        f"{country} is not a country code; give the two-letter ISO 3166 code, e.g. BE."
    )


# --- malformed and missing ---------------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    [
        "12",
        "ABCD",
        "1000.5",
        "1234A",
        "10 00",
        "+1000",
        "-1000",
        "1e3",
        "１０００",  # full-width digits
        "١٠٠٠",  # Arabic-Indic digits
        "B1000",
        "B--1000",
        "NL-1012",
        "1000-",
    ],
)
def test_malformed_postal_code_is_refused(code: str) -> None:
    eligibility = check_address("BE", code)
    assert eligibility.refusal is Refusal.BAD_POSTAL_CODE
    assert eligibility.reason == f"{code} {BAD_CODE}"
    assert not eligibility.eligible


@pytest.mark.parametrize(
    ("code", "province"),
    [
        (" 1000 ", Province.BRUSSELS),
        ("\t9000\n", Province.EAST_FLANDERS),
        ("B-1000", Province.BRUSSELS),
        ("b-2000", Province.ANTWERP),
        ("BE-3000", Province.FLEMISH_BRABANT),
        ("be-6700", Province.LUXEMBOURG),
    ],
)
def test_surrounding_space_and_old_country_prefix_are_accepted(
    code: str, province: Province
) -> None:
    assert check_address("BE", code) == Eligibility(True, province, None)


@pytest.mark.parametrize(
    ("country", "code", "reason"),
    [
        ("", "1000", "The address has no country."),
        ("  ", "", "The address has no country."),
        ("BE", "", "The address has no postal code."),
        ("BE", "   ", "The address has no postal code."),
    ],
)
def test_missing_part_of_the_address_is_refused(country: str, code: str, reason: str) -> None:
    assert check_address(country, code) == Eligibility(
        False, None, reason, refusal=Refusal.MISSING_ADDRESS
    )


# --- the JSON of docs/protocol.md, Commands ------------------------------------------------


def test_as_dict_for_eligible_address() -> None:
    assert json.dumps(check_address("BE", "4000").as_dict(), ensure_ascii=False) == (
        '{"eligible": true, "province": "Liège", "reason": null}'
    )


def test_as_dict_for_refusal_leaves_the_key_out() -> None:
    assert check_address("NL", "1012").as_dict() == {
        "eligible": False,
        "province": None,
        "reason": "On-site visits are only for clients in Belgium; this address is in NL.",
    }


def _check_address_command(*args: str) -> dict[str, object]:
    out = StringIO()
    call_command("check-address", *args, stdout=out)
    result: dict[str, object] = json.loads(out.getvalue())
    return result


def test_command_prints_eligible_decision() -> None:
    assert _check_address_command("be", "B-6600") == {
        "eligible": True,
        "province": "Luxembourg",
        "reason": None,
    }


def test_command_prints_refusal() -> None:
    assert _check_address_command("BE", "9993") == {
        "eligible": False,
        "province": None,
        "reason": f"9993 {BAD_CODE}",
    }


def test_command_line_prints_json_and_exits_zero_for_a_refusal() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "deskside.cli", "check-address", "LU", "1009"],
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "eligible": False,
        "province": None,
        "reason": "On-site visits are only for clients in Belgium; this address is in LU.",
    }


def test_command_line_without_postal_code_is_a_usage_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "deskside.cli", "check-address", "BE"],
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "postal_code" in result.stderr
    assert result.stdout == ""
