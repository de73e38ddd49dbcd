"""Text as a reader sees it, in every spelling the recognisers match.

A value is found however it is written: case; separators of any kind (`ES91-2100-...`, `12.345.678-Z`,
`612 34 56 78`, non-breaking hyphens, dashes, CSV commas, table bars, wide gaps); look-alike letters of
any script (Unicode's confusables data); every script's digits; invisible, format, tag and combining
characters; JSON/HTML/URL escapes, base64 and hex, each undone to a fixed point; ROT13 and reversed
text; digits said as words; e-mail addresses written `name at example dot org`. The texts of one request
are read together, so a value split across two parts or messages is still one value.

Every decoder has a budget (`MAX_DECODED_BYTES`, `MAX_ROUNDS`): text left undecoded when one is spent
raises `ScanTimeout`, which the policy handles as unscanned (strict), never as clean.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import functools
import html
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote

import regex

from plugins.policy.deadline import ScanTimeout

# Control, format (zero-width, bidi, soft hyphen, tag characters), combining marks left over after NFKC
# composed what it could, and variation selectors: nothing a reader sees between two letters.
INVISIBLE = regex.compile(r"[\p{Cf}\p{Mn}\p{Me}\p{Co}\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
ESCAPED = regex.compile(r"\\+u([0-9a-fA-F]{4})|\\+x([0-9a-fA-F]{2})")  # at any escaping depth
MAX_ROUNDS = 4  # escapes, base64 and hex undone this many times over (an encoding applied twice is undone)
# Separators people put inside numbers and codes: a run of them becomes one space ("spaced" reading),
# then digit groups are joined, and a lone check letter joined to the digits before it ("joined" reading).
SEPARATORS = regex.compile(r"(?<=[A-Z0-9])[\s\p{Pd}\p{Zs}.\-_/·|,;'\"*]+(?=[A-Z0-9])")
# Digits with at most 24 other characters between them (linear to find): with 24 characters of context on
# each side, where the recognisers for numbers and codes look.
DIGIT_CLUSTER = regex.compile(r"\d(?:\D{0,24}\d)*")
CONTEXT = 24
# Dates and times are never part of a code: they are set apart before separators are read.
DATE_FORMS = r"\d{1,2}([./\-])\d{1,2}\1\d{2,4}|\d{4}([./\-])\d{1,2}\2\d{1,2}"  # 05/03/2024, 2024-03-05
DATES = regex.compile(rf"(?<!\d)(?:{DATE_FORMS}|\d{{1,2}}:\d{{2}}(?::\d{{2}})?)(?!\d)")
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
# An e-mail address written out: "ana at example dot org", "ana [at] example [dot] org", "ana(at)example.org".
# Found from its "at" (linear: the name before it and the domain after it are bounded).
SPELLED_AT = regex.compile(r"\s*[\[({<]\s*(?:at|arroba|chez|bei|chiocciola|@)\s*[\])}>]\s*|"
                           r"\s+(?:at|arroba|chez|bei|chiocciola)\s+", regex.IGNORECASE)
_DOT = r"(?:\s*[\[({<]\s*(?:dot|punto|point|punkt|\.)\s*[\])}>]\s*|\s+(?:dot|punto|point|punkt)\s+|\.)"
SPELLED_DOMAIN = regex.compile(rf"[\w\-]{{1,63}}(?:{_DOT}[\w\-]{{1,63}}){{0,5}}?{_DOT}[^\W\d_]{{2,24}}\b",
                               regex.IGNORECASE)
LOCAL_PART = regex.compile(r"[\w.+\-]{1,64}$")
EMAIL_LIKE = regex.compile(r"(?<!\S)\S+@\S+")
CODE = regex.compile(r"[A-Za-z]\d|\d[A-Za-z]")
BASE64_RUN = regex.compile(r"[A-Za-z0-9+/_-]{12,}={0,2}")
HEX_RUN = regex.compile(r"(?:[0-9A-Fa-f]{2}[\s:]?){8,}")
MAX_DECODED_BYTES = 1_000_000


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


def _undo_escapes(text: str) -> str:
    if "\\" in text:
        text = ESCAPED.sub(lambda match: chr(int(match.group(1) or match.group(2), 16)), text)
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


def _printable(raw: bytes) -> str | None:
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if decoded and sum(char.isprintable() or char.isspace() for char in decoded) >= 0.95 * len(decoded):
        return decoded
    return None


class _Budget:
    def __init__(self) -> None:
        self.left = MAX_DECODED_BYTES

    def spend(self, count: int) -> None:
        self.left -= count
        if self.left < 0:
            raise ScanTimeout("more encoded text than the decode budget (treated as unscanned)")


def decoded(text: str, budget: _Budget | None = None, depth: int = 0) -> list[str]:
    """Texts hidden as base64 or hex in `text`, and in those (printable UTF-8 only: file bytes decode to
    nothing useful). ScanTimeout when the budget runs out before every run is decoded."""
    budget = budget or _Budget()
    found: list[str] = []
    if depth >= MAX_ROUNDS:
        return found
    for match in HEX_RUN.finditer(text):
        budget.spend(len(match.group(0)) // 2)
        plain = _printable(bytes.fromhex(regex.sub(r"[\s:]", "", match.group(0))[:len(match.group(0)) // 2 * 2]))
        if plain:
            found += [plain, *decoded(plain, budget, depth + 1)]
    for match in BASE64_RUN.finditer(text):
        run = match.group(0)
        for decode in (base64.b64decode, base64.urlsafe_b64decode):
            try:
                raw = decode(run + "=" * (-len(run) % 4))
            except (binascii.Error, ValueError):
                continue
            budget.spend(len(raw))
            plain = _printable(raw)
            if plain:
                found += [plain, *decoded(plain, budget, depth + 1)]
                break
    return found


def spoken_digits(text: str) -> str | None:
    """`text` with digits said as words turned into digits ("nine one two one" -> "9121"), or None when
    it does not dictate a number (fewer than four such words)."""
    if len(DIGIT_WORD.findall(text[:1_000_000])) < 4:
        return None
    digits = DIGIT_WORD.sub(lambda match: DIGIT_WORDS[match.group(0).lower()], text)
    return DICTATED.sub("", SPELLED_LETTERS.sub(r"\1\2", digits))


def spelled_emails(text: str) -> str | None:
    """The e-mail addresses written out in `text` ("ana at example dot org"), as addresses, or None."""
    found = []
    for at in SPELLED_AT.finditer(text):
        local = LOCAL_PART.search(text[max(0, at.start() - 64):at.start()])
        domain = SPELLED_DOMAIN.match(text, at.end())
        if local and domain and regex.search(r"[^\W\d_]", local.group(0)):
            found.append(local.group(0) + "@" + regex.sub(_DOT, ".", domain.group(0), flags=regex.IGNORECASE))
    return " ".join(found) or None


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
    full += [extra for reading in list(full) for extra in (spoken_digits(reading), spelled_emails(reading)) if extra]
    numbers = " | ".join(reading[max(0, found.start() - CONTEXT):found.end() + CONTEXT]
                         for reading in full for found in DIGIT_CLUSTER.finditer(reading))
    spaced, joined_groups = _number_readings(numbers)
    groups = " ".join(match.group(0) for match in FOUR_GROUPS.finditer(spaced))
    hidden = disguised(" \n ".join(full))
    return Readings([*full, *([hidden] if hidden else [])], [numbers, spaced, joined_groups, groups],
                    list(_number_readings(hidden)) if hidden else [])
