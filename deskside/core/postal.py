"""Whether an address may have an on-site visit, and in which province (docs/protocol.md, On-site
visits).

Pure Python, no Django: the visit request, the portal and ``deskside check-address`` all ask
this module. A visit is allowed only in Belgium with a valid Belgian postal code, and the
province follows from the code.

Decisions on the cases the protocol's rule leaves open (each is pinned by a test):

* The country is an ISO 3166 alpha-2 code, as the address models store it, in any case and
  with surrounding spaces ignored. Country names (``Belgium``, ``België``, ``Belgique``) are not
  guessed at: they are refused as *bad country* with a sentence that asks for the code, so a
  typo like ``BEL`` is never silently read as Belgium.
* A foreign country is refused as *not Belgium* whatever its postal code looks like: Dutch
  ``1012`` and Luxembourg ``1009`` are four digits too.
* A postal code is exactly four ASCII digits from 1000 to 9992, after surrounding whitespace
  and an optional old-style ``B-`` or ``BE-`` prefix (``B-1000``, still on letterheads) are
  removed. Spaces inside (``10 00``), decimals (``1000.5``), a fifth digit (``10000``) and
  non-ASCII digits (full-width ``１０００``) are refused: the stored code is what letters and the
  technician use, so a code that only a lenient reader understands is fixed at the source.
* Every code in range counts, also numbers the post office has not assigned (``1001``): the
  protocol's ranges decide, not a list that would go stale.
* Order of checks: missing country, bad country, not Belgium, missing postal code, bad postal
  code. The first failing check is the reason.
"""

import re
from dataclasses import dataclass
from enum import StrEnum

LOWEST_CODE = 1000
HIGHEST_CODE = 9992

_ISO_CODE = re.compile(r"[A-Za-z]{2}")
# [0-9], not \d: \d also matches full-width and other scripts' digits.
_POSTAL_CODE = re.compile(r"(?:BE?-)?(?P<digits>[0-9]{4})", re.IGNORECASE)


class Province(StrEnum):
    BRUSSELS = "Brussels"
    WALLOON_BRABANT = "Walloon Brabant"
    FLEMISH_BRABANT = "Flemish Brabant"
    ANTWERP = "Antwerp"
    LIMBURG = "Limburg"
    LIEGE = "Liège"
    NAMUR = "Namur"
    HAINAUT = "Hainaut"
    LUXEMBOURG = "Luxembourg"
    WEST_FLANDERS = "West Flanders"
    EAST_FLANDERS = "East Flanders"


class Refusal(StrEnum):
    """Why a visit is refused: a stable key the client's mail translates."""

    MISSING_ADDRESS = "missing_address"
    BAD_COUNTRY = "bad_country"
    NOT_BELGIUM = "not_belgium"
    BAD_POSTAL_CODE = "bad_postal_code"


# (first code, last code, province), ascending and without gaps from 1000 to 9992.
PROVINCE_RANGES: tuple[tuple[int, int, Province], ...] = (
    (1000, 1299, Province.BRUSSELS),
    (1300, 1499, Province.WALLOON_BRABANT),
    (1500, 1999, Province.FLEMISH_BRABANT),
    (2000, 2999, Province.ANTWERP),
    (3000, 3499, Province.FLEMISH_BRABANT),
    (3500, 3999, Province.LIMBURG),
    (4000, 4999, Province.LIEGE),
    (5000, 5999, Province.NAMUR),
    (6000, 6599, Province.HAINAUT),
    (6600, 6999, Province.LUXEMBOURG),
    (7000, 7999, Province.HAINAUT),
    (8000, 8999, Province.WEST_FLANDERS),
    (9000, HIGHEST_CODE, Province.EAST_FLANDERS),
)


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    province: Province | None
    reason: str | None
    refusal: Refusal | None = None

    def as_dict(self) -> dict[str, object]:
        """The JSON object ``deskside check-address`` prints (docs/protocol.md, Commands)."""
        province = self.province.value if self.province else None
        return {"eligible": self.eligible, "province": province, "reason": self.reason}


def check_address(country: str, postal_code: str) -> Eligibility:
    """Decide whether an on-site visit is allowed at this country and postal code."""
    country = country.strip()
    if not country:
        return _refuse(Refusal.MISSING_ADDRESS, "The address has no country.")
    if not _ISO_CODE.fullmatch(country):
        return _refuse(
            Refusal.BAD_COUNTRY,
            f"{country} is not a country code; give the two-letter ISO 3166 code, e.g. BE.",
        )
    if (code := country.upper()) != "BE":
        return _refuse(
            Refusal.NOT_BELGIUM,
            f"On-site visits are only for clients in Belgium; this address is in {code}.",
        )
    return _check_belgian_postal_code(postal_code.strip())


def province_for(code: int) -> Province | None:
    """The province of a Belgian postal code, or None outside 1000–9992."""
    for first, last, province in PROVINCE_RANGES:
        if first <= code <= last:
            return province
    return None


def _check_belgian_postal_code(postal_code: str) -> Eligibility:
    if not postal_code:
        return _refuse(Refusal.MISSING_ADDRESS, "The address has no postal code.")
    match = _POSTAL_CODE.fullmatch(postal_code)
    province = province_for(int(match["digits"])) if match else None
    if province is None:
        return _refuse(
            Refusal.BAD_POSTAL_CODE,
            f"{postal_code} is not a Belgian postal code "
            f"(four digits, {LOWEST_CODE}–{HIGHEST_CODE}).",
        )
    return Eligibility(eligible=True, province=province, reason=None)


def _refuse(refusal: Refusal, reason: str) -> Eligibility:
    return Eligibility(eligible=False, province=None, reason=reason, refusal=refusal)
