"""Codes with a check digit or letter: IBANs (ISO 13616, mod 97) and Spanish DNI/NIE (mod 23)."""

from __future__ import annotations

import re

from plugins.policy.recognisers.patterns import Pattern

DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"

# IBAN length by country (ISO 13616 registry): a match that runs on into the next word is cut to it.
IBAN_LENGTHS = dict(
    (entry[:2], int(entry[2:])) for entry in (
        "AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BR29 BY28 CH21 CR22 CY28 CZ24 DE22 DK18 DO28 EE20 EG29 ES24 "
        "FI18 FO18 FR27 GB22 GE22 GI23 GL18 GR27 GT28 HR21 HU28 IE22 IL23 IQ23 IS26 IT27 JO30 KW30 KZ20 LB28 LC32 "
        "LI21 LT20 LU20 LV21 MC27 MD24 ME22 MK19 MR27 MT31 MU30 NL18 NO15 PK24 PL28 PS29 PT25 QA29 RO24 RS22 SA24 "
        "SC31 SE24 SI19 SK24 SM27 ST25 SV28 TL23 TN24 TR26 UA29 VA22 VG24 XK20").split())


def iban_valid(value: str) -> bool:
    compact = re.sub(r"[\s.\-_/]", "", value).upper()
    if compact[:2] not in IBAN_LENGTHS:
        return False
    compact = compact[:IBAN_LENGTHS[compact[:2]]]
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", compact):
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1


def spanish_id_valid(value: str) -> bool:
    compact = re.sub(r"[\s.\-]", "", value.upper())
    number = compact[:-1].replace("X", "0").replace("Y", "1").replace("Z", "2")
    return number.isdigit() and DNI_LETTERS[int(number) % 23] == compact[-1]


# Country code and check digits, then groups of letters and digits (spaced or not); the checksum decides.
IBAN = Pattern("iban", r"[A-Z]{2} ?\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?", iban_valid)
ES_DNI = Pattern("es_dni", r"(?<!\d)\d{8}-?[A-HJ-NP-TV-Z](?![A-Za-z0-9])", spanish_id_valid)  # OCR drops the space
ES_NIE = Pattern("es_nie", r"(?<!\d)[XYZ]-?\d{7}-?[A-HJ-NP-TV-Z](?![A-Za-z0-9])", spanish_id_valid)
