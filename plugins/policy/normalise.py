"""Text as a reader sees it, in every spelling the recognisers match.

A value is found however it is written: case; separators of any kind (`ES91-2100-...`, `12.345.678-Z`,
`612 34 56 78`, non-breaking hyphens, every dash, bullets, CSV commas, table bars, wide gaps); look-alike
letters of any script (Unicode's confusables data); every script's digits; invisible, format, tag and
combining characters; JSON (surrogate pairs and escaped slashes included), HTML and URL escapes, each undone to a
fixed point; base64 and hex, compressed or not, of UTF-8 or 8-bit text (`decoding.py`); ROT13 and
reversed text; characters spaced out one by one; numbers dictated in words and letters said with a
spelling alphabet (`spoken.py`); IBANs speech-to-text heard one digit wrong (`heard.py`); e-mail addresses
written `name at example dot org`. The texts of one request are read together, so a value split across
two parts or messages is still one value.

Every decoder has a budget (`MAX_DECODED_BYTES`, `MAX_ROUNDS`): text left undecoded when one is spent
raises `ScanTimeout`, which the policy handles as unscanned (strict), never as clean.
"""

from __future__ import annotations

import codecs
import functools
import html
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote

import regex

from plugins.policy.decoding import MAX_DECODED_BYTES, MAX_ROUNDS, decoded
from plugins.policy.heard import heard_ibans
from plugins.policy.spoken import dictated

__all__ = ["DATE_FORMS", "MAX_DECODED_BYTES", "Readings", "decoded", "normalise", "readings"]

# Control, format (zero-width, bidi, soft hyphen, tag characters), combining marks left over after NFKC
# composed what it could, and variation selectors: nothing a reader sees between two letters.
INVISIBLE = regex.compile(r"[\p{Cf}\p{Mn}\p{Me}\p{Co}\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# At any escaping depth; a UTF-16 surrogate pair (`\\uD835\\uDFD7`, how JSON writes astral characters) is one.
ESCAPED = regex.compile(r"\\+u([dD][89abAB][0-9a-fA-F]{2})\\+u([dD][c-fC-F][0-9a-fA-F]{2})|"
                        r"\\+u([0-9a-fA-F]{4})|\\+x([0-9a-fA-F]{2})")
ESCAPED_PUNCTUATION = regex.compile(r"\\+(?=[/\"'])")  # JSON's `\/`, at any depth
# Separators people put inside numbers and codes: a run of them becomes one space ("spaced" reading),
# then digit groups are joined, and a lone check letter joined to the digits before it ("joined" reading).
SEPARATORS = regex.compile(r"(?<=[A-Z0-9])[\s\p{Pd}\p{Zs}.\-_/\\·•‧∙●⋅・|,;'\"*\u2212]+(?=[A-Z0-9])")
# Every dash and bullet between digits, as the ASCII hyphen the phone recogniser reads ("612–345–678").
DIGIT_DASH = regex.compile(r"(?<=\d) ?[\p{Pd}\u2212·•‧∙●⋅・] ?(?=\d)")
# Digits with at most 24 other characters between them (linear to find): with CONTEXT characters of context on
# each side, where the recognisers for numbers and codes look.
DIGIT_CLUSTER = regex.compile(r"\d(?:\D{0,24}\d)*")
CONTEXT = 40  # a keyword up to 40 characters before the number ("Steueridentifikationsnummer lautet ...")
# Dates and times are never part of a code: they are set apart before separators are read.
DATE_FORMS = r"\d{1,2}([./\-])\d{1,2}\1\d{2,4}|\d{4}([./\-])\d{1,2}\2\d{1,2}"  # 05/03/2024, 2024-03-05
DATES = regex.compile(rf"(?<!\d)(?:{DATE_FORMS}|\d{{1,2}}:\d{{2}}(?::\d{{2}})?)(?!\d)")
# Digit groups, a lone check letter after them ("1234567 L") and a lone letter before them ("X 1234567").
BETWEEN_DIGITS = regex.compile(r"(?<=\d) (?=\d)|(?<=\d) (?=[A-Z](?![A-Z0-9]))|(?<=(?<![A-Z0-9])[A-Z]) (?=\d)")
# Groups of four (the way IBANs and card numbers are written) and an IBAN's head, wherever they are in the
# request: read in order as one line, a value split across messages, parts or a tool call and its result
# is whole again.
FOUR_GROUPS = regex.compile(r"(?<![A-Z0-9])(?:[A-Z]{2} ?\d{2}(?= [A-Z0-9]{4}(?![A-Z0-9]))|\d{4}(?![A-Z0-9]))")
SPELLED_LETTERS = regex.compile(r"\b([A-Za-z]) ([A-Za-z]) (?=\d)")  # "E S 9 1" -> "ES 9 1"
# An e-mail address written out: "ana at example dot org", "ana [at] example [dot] org", "ana(at)example.org".
# Found from its "at" (linear: the name before it and the domain after it are bounded).
SPELLED_AT = regex.compile(r"\s*[\[({<]\s*(?:at|arroba|chez|bei|chiocciola|@)\s*[\])}>]\s*|"
                           r"\s+(?:at|arroba|chez|bei|chiocciola)\s+", regex.IGNORECASE)
_DOT = r"(?:\s*[\[({<]\s*(?:dot|punto|point|punkt|\.)\s*[\])}>]\s*|\s+(?:dot|punto|point|punkt)\s+|\.)"
# Ending in a country code or a common generic top-level domain ("at three point five" is no address).
_TLD = r"(?:[^\W\d_]{2}|com|org|net|edu|gov|mil|int|info|biz|name|pro|mobi|app|dev|io|ai|cloud|online|site|tech|" \
       r"email|mail|shop|store|xyz|eus|cat|gal|swiss|berlin|paris|madrid|barcelona|koeln|wien|amsterdam|london)"
SPELLED_DOMAIN = regex.compile(rf"[\w\-]{{1,63}}(?:{_DOT}[\w\-]{{1,63}}){{0,5}}?{_DOT}{_TLD}\b", regex.IGNORECASE)
LOCAL_PART = regex.compile(r"[\w.+\-]{1,64}$")
EMAIL_LIKE = regex.compile(r"(?<!\S)\S+@\S+")
CODE = regex.compile(r"[A-Za-z]\d|\d[A-Za-z]")
BLOB = re.compile(r"(?<![\w+/=-])[\w+/=-]{40,}")  # the standard library's engine: quicker on these two
# Characters spaced out one by one ("a n a . g a r c i a @ e x a m p l e . o r g", "X 1 2 3"): read closed up.
SPACED_OUT = re.compile(r"(?<!\S)(?:\S[ \u00a0]){5,}\S(?!\S)")


@functools.lru_cache(maxsize=1)
def folding() -> dict[int, str]:
    """Every script's decimal digits to ASCII digits, and every letter Unicode's confusables data draws
    like a Latin letter or digit to that letter or digit (NFKC folds neither)."""
    from confusable_homoglyphs import utils

    table: dict[int, str] = {}
    for source, glyphs in utils.load("confusables.json").items():
        targets = [glyph["c"] for glyph in glyphs]
        if len(source) == 1 and source.isascii() and source.isalnum():
            table.update({ord(glyph): source for glyph in targets if len(glyph) == 1 and not glyph.isascii()})
        elif len(source) == 1 and not source.isascii():
            latin = [glyph for glyph in targets if glyph.isascii() and glyph.isalnum() and len(glyph) == 1]
            if latin:
                table.setdefault(ord(source), latin[0])
    for code in range(0x80, 0x20000):  # a digit is its value, whatever it looks like
        if unicodedata.category(chr(code)) == "Nd":
            table[code] = str(unicodedata.decimal(chr(code)))
    for letter in "ñÑçÇäöüÄÖÜßéèáàíóúÉÈÁÀÍÓÚ":  # real letters of the users' languages stay themselves
        table.pop(ord(letter), None)
    return table


def _unescaped(match: regex.Match) -> str:
    if match.group(1):  # a surrogate pair: the one character it encodes
        return chr(0x10000 + ((int(match.group(1), 16) - 0xD800) << 10) + int(match.group(2), 16) - 0xDC00)
    return chr(int(match.group(3) or match.group(4), 16))


def _undo_escapes(text: str) -> str:
    if "\\" in text:
        text = ESCAPED_PUNCTUATION.sub("", ESCAPED.sub(_unescaped, text))
    if "&" in text:
        text = html.unescape(text)
    if "%" in text:
        text = unquote(text)
    return text


def normalise(text: str) -> str:
    """Text as a reader sees it: escapes undone (to a fixed point), NFKC (full-width forms folded),
    invisible characters removed, every script's digits and look-alike letters folded to ASCII."""
    for _ in range(MAX_ROUNDS):
        undone = _undo_escapes(text)
        if undone == text:
            break
        text = undone
    return INVISIBLE.sub("", unicodedata.normalize("NFKC", text)).translate(folding())


def without_marks(text: str) -> str:
    """Accents taken off letters ("É" -> "E"): what the number readings match codes in."""
    return INVISIBLE.sub("", unicodedata.normalize("NFKD", text))


def spelled_emails(text: str) -> str | None:
    """The e-mail addresses written out in `text` ("ana at example dot org"), as addresses, or None."""
    found = []
    for at in SPELLED_AT.finditer(text):
        local = LOCAL_PART.search(text[max(0, at.start() - 64):at.start()])
        domain = SPELLED_DOMAIN.match(text, at.end())
        if local and domain and regex.search(r"[^\W\d_]", local.group(0)):
            found.append(local.group(0) + "@" + regex.sub(_DOT, ".", domain.group(0), flags=regex.IGNORECASE))
    return " ".join(found) or None


def _blob(match: re.Match) -> str:
    run = match.group(0)
    return " ¦ " if regex.search(r"[a-z]", run) and regex.search(r"[A-Z]", run) else run


def without_blobs(text: str) -> str:
    """`text` without its encoded blobs (long runs of base64's characters in both cases): read decoded,
    never for codes, where their upper-cased letters and digits would pass any checksum by chance."""
    return BLOB.sub(_blob, text)


def closed_up(text: str) -> str | None:
    """`text` with characters spaced out one by one closed up, where they spell an e-mail address or a
    code (letters and digits), or None."""
    runs = [match for match in SPACED_OUT.finditer(text)
            if "@" in match.group(0) or (CODE.search(match.group(0).replace(" ", "")) is not None)]
    if not runs:
        return None
    pieces, written = [], 0
    for match in runs:
        pieces += [text[written:match.start()], regex.sub(r"[ \u00a0]", "", match.group(0))]
        written = match.end()
    return "".join(pieces) + text[written:]


def disguised(text: str) -> str | None:
    """The codes (letters next to digits: IBANs, IDs) and e-mail-like words of `text`, ROT13'd and reversed:
    where a value hides in those disguises. Bare digit runs are left out: reversed, any number could pass
    for another."""
    windows = [window for found in DIGIT_CLUSTER.finditer(text)
               if CODE.search(window := text[max(0, found.start() - 4):found.end() + 4])]
    windows += EMAIL_LIKE.findall(text)
    if not windows:
        return None
    plain = " | ".join(windows)
    return " | ".join((codecs.encode(plain, "rot13"), plain[::-1], codecs.encode(plain[::-1], "rot13")))


@dataclass(frozen=True)
class Readings:
    """The request's texts read together. `texts`: as written (normalised), whatever base64 or hex inside
    says, digits said as words, e-mail addresses written out, and codes and e-mails ROT13'd and reversed.
    `numbers`: the stretches of the plain readings that hold digits, as written, upper-cased with
    separators as single spaces, with digit groups joined, and the request's groups of four read as one
    line. `disguised`: the ROT13'd and reversed codes, spaced and joined (read for codes, not for bare
    numbers such as cards and phones)."""

    texts: list[str]
    numbers: list[str]
    disguised: list[str]

    def read_by(self, reads: str) -> list[str]:
        """The readings a recogniser with this `reads` looks at (plugins.policy.recognisers.Recogniser)."""
        return {"numbers": self.numbers + self.disguised, "digits": self.numbers,
                "written-numbers": self.numbers[:1]}.get(reads, self.texts)


def _number_readings(text: str) -> tuple[str, str]:
    """(`text` upper-cased with separators as single spaces, and with digit groups joined)."""
    spaced = SPELLED_LETTERS.sub(r"\1\2 ", SEPARATORS.sub(" ", DATES.sub(" ¦ ", without_marks(text).upper())))
    return spaced, BETWEEN_DIGITS.sub("", spaced)


def readings(texts: Iterable[str]) -> Readings:
    joined = " \n ".join(normalise(text) for text in texts if text)
    full = [joined, *(normalise(text) for text in decoded(joined))]
    full += [extra for reading in list(full) for extra in (dictated(reading), closed_up(reading)) if extra]
    full += [extra for reading in list(full) for extra in (spelled_emails(reading),) if extra]
    heard = heard_ibans(full)
    if heard:
        full.append(heard)
    plain = [without_blobs(reading) for reading in full]
    numbers = DIGIT_DASH.sub("-", " | ".join(reading[max(0, found.start() - CONTEXT):found.end() + CONTEXT]
                                             for reading in plain for found in DIGIT_CLUSTER.finditer(reading)))
    spaced, joined_groups = _number_readings(numbers)
    groups = " ".join(match.group(0) for match in FOUR_GROUPS.finditer(spaced))
    hidden = disguised(" \n ".join(plain))
    return Readings([*full, *([hidden] if hidden else [])], [numbers, spaced, joined_groups, groups],
                    list(_number_readings(hidden)) if hidden else [])
