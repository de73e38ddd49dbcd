"""Long numbers next to banking or identity words, whether or not a checksum holds: what a transcript
keeps of an account or document number once speech-to-text has heard a digit wrong.

A run of at least 12 digits (written or, through the dictated reading, said; spaces, commas, dots and
hyphens between them) with a banking or identity word close by (`plugins/policy/heard.py`: "IBAN",
"account", "cuenta", "Konto", "DNI", "passport", "social security"... or "E S" as "the SI", "S-I").
Dates, lists of years and amounts (a currency beside them) are not such numbers.

A number dictated digit by digit, 16 digits or more ("one two one zero zero…", "9-1-2-1-0-…"), needs no
word beside it: speech-to-text often mishears the word that said what it was ("IBAN" as "I'm"), and
nothing but an account, card or document number is read out that way at that length.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import regex

from plugins.policy.deadline import finditer, remaining
from plugins.policy.heard import LONG_DIGITS, digit_count, near_account_words
from plugins.policy.normalise import DATE_FORMS
from plugins.policy.recognisers.context import introduced_as_reference
from plugins.policy.spoken import said_runs

MIN_DIGITS = 12
DICTATED_DIGITS = 16
NOT_PART = regex.compile(rf"(?<!\d)(?:{DATE_FORMS}|\d{{1,2}}:\d{{2}})(?!\d)")  # dates and times
YEARS = regex.compile(r"(?:(?:19|20)\d\d[ ,.\-]{0,2})+")
CARD_WORDS = regex.compile(r"\b(?:card|tarjeta|karte|carte|carta|cart[aã]o|targeta)\b", regex.IGNORECASE)
CURRENCY = regex.compile(r"[€$£¥]|\b(?:eur|euros?|usd|dollars?|gbp|pounds?|chf|francs?)\b", regex.IGNORECASE)


def _pieces(run: regex.Match) -> Iterator[tuple[int, int]]:
    """The parts of a run of digits between the dates and times in it."""
    start = run.start()
    for separator in NOT_PART.finditer(run.string, run.start(), run.end()):
        yield start, separator.start()
        start = separator.end()
    yield start, run.end()


def account_like(text: str, start: int, end: int) -> bool:
    value = text[start:end].strip(" ,.-")
    if sum(char.isdigit() for char in value) < MIN_DIGITS or YEARS.fullmatch(value):
        return False
    if CURRENCY.search(text[max(0, start - 4):start]) or CURRENCY.match(text[end:end + 8].lstrip()):
        return False
    if introduced_as_reference(text[max(0, start - 16):start]):
        return False  # "Invoice 586914913775" beside "Banco ...": an invoice number
    digits = sum(char.isdigit() for char in value)
    if 13 <= digits <= 19 and CARD_WORDS.search(text[max(0, start - 60):start]):
        return False  # a card number's length after "card": the card recogniser's Luhn check decides
    return dictated(value) or near_account_words(text, start, end) is not None


def dictated(value: str) -> bool:
    """At least `DICTATED_DIGITS` digits, most of them standing alone, apart by spaces or hyphens: read out
    one by one ("1 2 1 0 0 …", "9-1-2-1-…"; a list in code, "[0, 1, 2, 3, …]", or "1.0.0.0" is not)."""
    groups = regex.findall(r"\d+", value)
    return sum(map(len, groups)) >= DICTATED_DIGITS and sum(len(group) == 1 for group in groups) >= 0.6 * len(groups) \
        and "." not in value and value.count(",") < len(groups) / 4


@dataclass(frozen=True)
class SpokenNumbers:
    kind: str = "spoken_number"
    reads: str = "text"  # the words around the number are what says what it is

    def find(self, text: str, deadline: float | None) -> Iterator[tuple[int, int]]:
        remaining(deadline)
        for start, end, said, numbers in said_runs(text):  # said in words: "one two one zero zero …"
            digits = sum(char.isdigit() for char in said)
            if digits >= DICTATED_DIGITS and numbers >= digits / 2.5:
                yield start, end
        if digit_count(text) < MIN_DIGITS:
            return
        for run in finditer(LONG_DIGITS, text, deadline):
            for start, end in _pieces(run):
                if account_like(text, start, end):
                    yield start, end


SPOKEN_NUMBERS = SpokenNumbers()
