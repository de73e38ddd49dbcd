"""Detectors for sensitive values in text: the patterns, their checksums, and the spellings they see.

A value is found however it is written: case, separators (`ES91-2100-...`, `12.345.678-Z`,
`612 34 56 78`), look-alike letters from other scripts, invisible characters, full-width digits,
JSON/HTML/URL escapes and base64 are all undone before matching, and the texts of one request are
matched together, so a value split across two parts or messages is still one value.

Patterns run on the `regex` engine with `concurrent=True` (the GIL is released while matching, so a
scan in a worker thread never stalls the event loop) and a deadline: a scan that cannot finish in
time raises `ScanTimeout`, which the policy handles as unscanned (strict).
"""

from __future__ import annotations

import base64
import binascii
import functools
import html
import re
import time
import unicodedata
from collections.abc import Iterable
from urllib.parse import unquote

import regex

from plugins.platform.settings import gateway_settings

DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
CARD_PATTERNS = {"credit_card", "visa", "mastercard", "amex", "discover"}
IBAN_PATTERNS = {"iban", "eu_iban_enhanced", "iban_grouped"}


class ScanTimeout(Exception):
    """The detectors could not read the whole request in time: it is handled as unscanned."""


def luhn_valid(number: str) -> bool:
    digits = [int(char) for char in re.sub(r"\D", "", number)]
    if not 13 <= len(digits) <= 19:
        return False
    total = sum(digits[-1::-2]) + sum(sum(divmod(2 * digit, 10)) for digit in digits[-2::-2])
    return total % 10 == 0


# IBAN length by country (ISO 13616 registry): a match that runs on into the next word is cut to it.
IBAN_LENGTHS = dict(
    (entry[:2], int(entry[2:])) for entry in (
        "AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BR29 BY28 CH21 CR22 CY28 CZ24 DE22 DK18 DO28 EE20 EG29 ES24 "
        "FI18 FO18 FR27 GB22 GE22 GI23 GL18 GR27 GT28 HR21 HU28 IE22 IL23 IQ23 IS26 IT27 JO30 KW30 KZ20 LB28 LC32 "
        "LI21 LT20 LU20 LV21 MC27 MD24 ME22 MK19 MR27 MT31 MU30 NL18 NO15 PK24 PL28 PS29 PT25 QA29 RO24 RS22 SA24 "
        "SC31 SE24 SI19 SK24 SM27 ST25 SV28 TL23 TN24 TR26 UA29 VA22 VG24 XK20").split())


def iban_valid(value: str) -> bool:
    compact = re.sub(r"[\s.\-_/]", "", value).upper()
    compact = compact[:IBAN_LENGTHS.get(compact[:2], len(compact))]
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", compact):
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1


def spanish_id_valid(value: str) -> bool:
    compact = re.sub(r"[\s.\-]", "", value.upper())
    number = compact[:-1].replace("X", "0").replace("Y", "1").replace("Z", "2")
    return number.isdigit() and DNI_LETTERS[int(number) % 23] == compact[-1]


CHECKSUMS = {**{name: luhn_valid for name in CARD_PATTERNS}, **{name: iban_valid for name in IBAN_PATTERNS},
             "es_dni": spanish_id_valid, "es_nie": spanish_id_valid}


def needs_digits(name: str, pattern: regex.Pattern) -> bool:
    """Patterns for numbers and codes (phones, IBANs, cards, IDs) are matched only in the spans of text that
    hold digits (`views`): prose without numbers costs them nothing."""
    return name not in ("email", "keyword") and ("\\d" in pattern.pattern or "[0-9" in pattern.pattern)


@functools.lru_cache(maxsize=1)
def patterns() -> tuple[tuple[str, regex.Pattern], ...]:
    """(kind, compiled pattern): LiteLLM's named patterns, then the configured ones, then keywords."""
    from litellm.proxy.guardrails.guardrail_hooks.litellm_content_filter.patterns import get_compiled_pattern

    settings = gateway_settings("escalation")
    sources = [(name, get_compiled_pattern(name).pattern) for name in settings["litellm_patterns"] or []]
    sources += list((settings["patterns"] or {}).items())
    compiled = [(name, regex.compile(source, regex.VERSION0)) for name, source in sources]
    keywords = [regex.escape(word) for word in settings["keywords"] or []]
    if keywords:
        compiled.append(("keyword", regex.compile(r"\b(?:" + "|".join(keywords) + r")\b", regex.IGNORECASE)))
    return tuple(compiled)


FORMAT_CHARACTERS = re.compile(r"[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]")
# Letters of other scripts drawn like Latin ones (Unicode's confusables for Cyrillic and Greek capitals
# and the lower-case letters that matter in addresses and codes). NFKC does not fold these.
CONFUSABLES = str.maketrans(
    "АВЕЅІЈКМНОРСТХУаеіјорсхуѕԁԛԝΑΒΕΖΗΙΚΜΝΟΡΤΥΧοντ",
    "ABESIJKMHOPCTXYaeijopcxysdqwABEZHIKMNOPTYXovt",
)
ESCAPED = re.compile(r"\\+u([0-9a-fA-F]{4})|\\+x([0-9a-fA-F]{2})")  # at any escaping depth
# Separators people put inside numbers and codes: a run of them becomes one space ("spaced" reading),
# then digit groups are joined, and a lone check letter joined to the digits before it ("joined" reading).
SEPARATORS = regex.compile(r"(?<=[A-Z0-9])[\s.\-_/·]+(?=[A-Z0-9])")
# Digits with at most 24 other characters between them (linear to find): with 24 characters of context on
# each side, where the patterns for numbers and codes look.
DIGIT_CLUSTER = regex.compile(r"\d(?:\D{0,24}\d)*")
CONTEXT = 24
BETWEEN_DIGITS = regex.compile(r"(?<=\d) (?=\d)|(?<=\d) (?=[A-Z](?![A-Z0-9]))")
BASE64_RUN = re.compile(r"[A-Za-z0-9+/_-]{16,}={0,2}")
MAX_DECODED_BYTES = 1_000_000


def normalise(text: str) -> str:
    """Text as a reader sees it: escapes undone, NFKC (full-width digits and letters folded), look-alike
    letters folded to Latin, invisible format characters removed."""
    if "\\" in text:
        text = ESCAPED.sub(lambda match: chr(int(match.group(1) or match.group(2), 16)), text)
    if "&" in text:
        text = html.unescape(text)
    if "%" in text:
        text = unquote(text)
    return FORMAT_CHARACTERS.sub("", unicodedata.normalize("NFKC", text)).translate(CONFUSABLES)


def _decoded_base64(text: str) -> list[str]:
    """Texts hidden as base64 in `text` (printable UTF-8 only; file bytes decode to nothing useful)."""
    found, budget = [], MAX_DECODED_BYTES
    for match in BASE64_RUN.finditer(text):
        run = match.group(0)
        if budget <= 0:
            break
        for decode in (base64.b64decode, base64.urlsafe_b64decode):
            try:
                raw = decode(run + "=" * (-len(run) % 4))
            except (binascii.Error, ValueError):
                continue
            budget -= len(raw)
            try:
                decoded = raw.decode("utf-8")
            except UnicodeDecodeError:
                continue
            if decoded and sum(char.isprintable() or char.isspace() for char in decoded) >= 0.95 * len(decoded):
                found.append(decoded)
                break
    return found


def views(texts: Iterable[str]) -> tuple[list[str], list[str]]:
    """The request's texts read together, in every spelling the detectors match: (full readings, number
    readings). Full: as written (normalised) and whatever base64 inside it says. Number readings: the
    stretches of those that hold digits, as written, upper-cased with separators as single spaces, and
    with digit groups joined."""
    joined = " \n ".join(normalise(text) for text in texts if text)
    readings = [joined, *(normalise(text) for text in _decoded_base64(joined))]
    numbers = " | ".join(reading[max(0, found.start() - CONTEXT):found.end() + CONTEXT]
                         for reading in readings for found in DIGIT_CLUSTER.finditer(reading))
    spaced = SEPARATORS.sub(" ", numbers.upper())
    return readings, [numbers, spaced, BETWEEN_DIGITS.sub("", spaced)]


def _remaining(deadline: float | None) -> float | None:
    if deadline is None:
        return None
    left = deadline - time.monotonic()
    if left <= 0:
        raise ScanTimeout("the sensitive-data scan ran out of time")
    return left


def _finditer(pattern: regex.Pattern, text: str, deadline: float | None) -> Iterable[regex.Match]:
    """The pattern's matches in `text`, the GIL released while matching, bounded by `deadline`."""
    try:
        yield from pattern.finditer(text, concurrent=True, timeout=_remaining(deadline))
    except TimeoutError:
        raise ScanTimeout("the sensitive-data scan ran out of time") from None


def spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, kind) of every checksum-valid match in `text` as written, overlaps resolved to the
    longest (what redaction replaces)."""
    found = []
    for kind, pattern in patterns():
        check = CHECKSUMS.get(kind)
        found += [(m.start(), m.end(), kind) for m in _finditer(pattern, text, None) if check is None or
                  check(m.group(0))]
    found.sort(key=lambda span: (span[0], -(span[1] - span[0])))
    kept: list[tuple[int, int, str]] = []
    for span in found:
        if not kept or span[0] >= kept[-1][1]:
            kept.append(span)
    return kept


def find_sensitive(texts: Iterable[str], deadline: float | None = None) -> list[str]:
    """Names of the kinds of sensitive data found (e.g. ["email", "es_dni"]), in pattern order.
    Raises ScanTimeout when `deadline` (time.monotonic()) passes first."""
    readings, numbers = views(texts)
    found = []
    for name, pattern in patterns():
        check = CHECKSUMS.get(name)
        if any(check is None or check(match.group(0)) for reading in (numbers if needs_digits(name, pattern) else
                                                                     readings)
               for match in _finditer(pattern, reading, deadline)):
            found.append(name)
    return found
