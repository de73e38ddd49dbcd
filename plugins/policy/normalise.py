"""Text as a reader sees it, in every spelling the recognisers match.

A value is found however it is written: case, separators (`ES91-2100-...`, `12.345.678-Z`,
`612 34 56 78`), look-alike letters from other scripts, invisible characters, full-width digits,
JSON/HTML/URL escapes and base64 are all undone before matching, and the texts of one request are
read together, so a value split across two parts or messages is still one value.
"""

from __future__ import annotations

import base64
import binascii
import html
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote

import regex

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
# each side, where the recognisers for numbers and codes look.
DIGIT_CLUSTER = regex.compile(r"\d(?:\D{0,24}\d)*")
CONTEXT = 24
BETWEEN_DIGITS = regex.compile(r"(?<=\d) (?=\d)|(?<=\d) (?=[A-Z](?![A-Z0-9]))")
# Groups of four (the way IBANs and card numbers are written) and an IBAN's head, wherever they are in the
# request: read in order as one line, a value split across messages, parts or a tool call and its result
# is whole again.
FOUR_GROUPS = regex.compile(r"(?<![A-Z0-9])(?:[A-Z]{2} ?\d{2}(?= [A-Z0-9]{4}(?![A-Z0-9]))|\d{4}(?![A-Z0-9]))")
# Digits said or written as words, one by one (how people dictate numbers, and how speech is transcribed),
# in English, Spanish, German, French and Italian.
DIGIT_WORDS = {
    word: str(digit) for digit, words in enumerate((
        "zero oh cero null zéro", "one uno una eins un une", "two dos zwei zwo deux due", "three tres drei trois tre",
        "four cuatro vier quatre quattro", "five cinco fünf cinq cinque", "six seis sechs sei",
        "seven siete sieben sept sette", "eight ocho acht huit otto", "nine nueve neun neuf nove"))
    for word in words.split()
}
DIGIT_WORD = regex.compile(r"\b(?:" + "|".join(sorted(DIGIT_WORDS, key=len, reverse=True)) + r")\b", regex.IGNORECASE)
DICTATED = regex.compile(r"(?<=\b\d)[\s,.\-]+(?=\d\b)")  # "6 1 2, 3 4 5" -> "612345"
SPELLED_LETTERS = regex.compile(r"\b([A-Za-z]) ([A-Za-z]) (?=\d)")  # "E S 9 1" -> "ES 9 1"
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


def decoded_base64(text: str) -> list[str]:
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


@dataclass(frozen=True)
class Readings:
    """The request's texts read together. `texts`: as written (normalised) and whatever base64 inside
    says. `numbers`: the stretches of those that hold digits, as written, upper-cased with separators as
    single spaces, and with digit groups joined."""

    texts: list[str]
    numbers: list[str]


def spoken_digits(text: str) -> str | None:
    """`text` with digits said as words turned into digits ("nine one two one" -> "9 1 2 1"), or None when
    it does not dictate a number (fewer than four such words)."""
    if len(DIGIT_WORD.findall(text[:1_000_000])) < 4:
        return None
    digits = DIGIT_WORD.sub(lambda match: DIGIT_WORDS[match.group(0).lower()], text)
    return DICTATED.sub("", SPELLED_LETTERS.sub(r"\1\2", digits))


def readings(texts: Iterable[str]) -> Readings:
    joined = " \n ".join(normalise(text) for text in texts if text)
    full = [joined, *(normalise(text) for text in decoded_base64(joined))]
    full += [spoken for spoken in map(spoken_digits, full) if spoken]
    numbers = " | ".join(reading[max(0, found.start() - CONTEXT):found.end() + CONTEXT]
                         for reading in full for found in DIGIT_CLUSTER.finditer(reading))
    spaced = SPELLED_LETTERS.sub(r"\1\2 ", SEPARATORS.sub(" ", numbers.upper()))
    groups = " ".join(match.group(0) for match in FOUR_GROUPS.finditer(spaced))
    return Readings(full, [numbers, spaced, BETWEEN_DIGITS.sub("", spaced), groups])
