"""Telephone numbers as people write them, checked with Google's libphonenumber rules (the
`phonenumbers` port) for the configured regions (`gateway.escalation.phone_regions`).

A candidate is a run of digits with the separators, parentheses, `+`/`00` prefixes, trunk prefixes
such as `(0)` and extensions (`x123`, `ext. 12`) phones are written with. It is a phone number when
its shape says so (an international prefix, an area code in parentheses, an extension, digit groups
that are not a date or an amount), or, written as one bare run of digits, when libphonenumber
calls it valid and it reads like a national number (trunk `0`, or a phone word before it). Dates,
times, amounts, versions and numbers introduced as an order, invoice or reference are not phones; nor
are IP addresses, netmasks and MAC addresses (`network.address_around`), dotted version numbers
(`120.0.6099.109`) or a JWT's registered claims (`"sub":"1234567890"`, read from its decoded payload).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import phonenumbers
import regex

from plugins.policy.deadline import finditer
from plugins.policy.normalise import DATE_FORMS
from plugins.policy.recognisers.context import introduced_as_identity, introduced_as_phone, introduced_as_reference
from plugins.policy.recognisers.network import VERSION_WORD, address_around

EXTENSION_MARK = r"\s*(?:x|ext\.?|extension|poste|int\.|Durchwahl|dw\.?)\s*\d{1,6}"
CANDIDATE = regex.compile(
    r"(?:(?<![\w+])\+|(?<![\w+\-./,:])(?:\b00)?)\(?\d[\d \u00a0().\-/]{4,24}\d\)?"
    rf"(?:{EXTENSION_MARK})?(?![\w]|[.,]\d)",
    regex.IGNORECASE,
)
EXTENSION = regex.compile(rf"{EXTENSION_MARK}$", regex.IGNORECASE)
DATE = regex.compile(rf"(?<!\d)(?:{DATE_FORMS}|(?:19|20)\d{{6}})(?!\d)")  # and 20240305
YEAR_RANGE = regex.compile(r"(?<!\d)(?:19|20)\d\d\s?[-–/]\s?(?:19|20)\d\d(?!\d)")
THOUSANDS = regex.compile(r"\d{1,3}(?:[., \u00a0]\d{3})+")
VERSION = regex.compile(r"\d{1,4}(?:\.\d{1,5})*\.\d(?:\.\d{1,5})+")  # dotted, a one-digit group inside: 6.1.7601.17514
# RFC 7519's registered claims, or a JSON key the reading's window cut ("| b\":\"123..."): no phone word there
JWT_CLAIM = regex.compile(r'(?:"(?:sub|iat|exp|nbf|jti|auth_time)|\| [^"|\s]{0,12})"\s*:\s*"?$')


def _valid_somewhere(number: str, regions: tuple[str, ...]) -> bool:
    for region in regions:
        try:
            parsed = phonenumbers.parse(number, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(parsed):
            return True
    return False


def is_phone(candidate: str, before: str, regions: tuple[str, ...]) -> bool:
    """Whether `candidate` (as written) is a phone number, given the text just `before` it."""
    extension = EXTENSION.search(candidate)
    body = candidate[:extension.start()] if extension else candidate
    digits = regex.sub(r"\D", "", body)
    international = body.startswith("+") or (body.startswith("00") and len(digits) >= 10)
    if not 7 <= len(digits) <= 15 or JWT_CLAIM.search(before):
        return False
    if regex.fullmatch(r"[\d.]+", body) and (VERSION.fullmatch(body) or VERSION_WORD.search(before[-12:])):
        return False
    if international:
        return len(digits) >= 9
    if DATE.search(body):
        return False
    phone_word = introduced_as_phone(before)
    if (introduced_as_reference(before) or introduced_as_identity(before)) and not phone_word:
        return False
    grouped = regex.search(r"[ \u00a0.\-/()]", body) is not None
    groups = [len(group) for group in regex.findall(r"\d+", body)]
    if YEAR_RANGE.search(body) or (not phone_word and sum(length >= 6 for length in groups) >= 2):
        return False  # "8 (2015-2020)"; a table's columns "129592 171932": no phone is written so
    if extension or "(" in body:
        return True
    if grouped and not THOUSANDS.fullmatch(body):
        return len(digits) >= 9 or phone_word or _valid_somewhere(body, regions)
    if phone_word:
        return _valid_somewhere(body, regions) or (digits.startswith("0") and len(digits) >= 9)
    national = digits.startswith("0") and not digits.startswith("00") and 10 <= len(digits) <= 11
    return national or (_valid_somewhere(body, regions) and (digits.startswith("0") or len(digits) >= 9))


@dataclass(frozen=True)
class Phones:
    regions: tuple[str, ...]
    kind: str = "phone"
    reads: str = "written-numbers"  # separators and parentheses as written: they are what tells a phone apart

    def find(self, text: str, deadline: float | None) -> Iterator[tuple[int, int]]:
        regions = self.regions or ("US",)
        for match in finditer(CANDIDATE, text, deadline):
            candidate = match.group(0).rstrip(" .-/")
            if (is_phone(candidate, text[max(0, match.start() - 40):match.start()], regions)
                    and not address_around(text, match.start(), match.start() + len(candidate))):
                yield match.start(), match.start() + len(candidate)
