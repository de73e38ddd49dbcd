"""Identifiers confirmed by a check digit or a keyword: the machinery of `national_ids.py` and
`accounts.py`.

Every shape the family looks for (a run of digits, a codice fiscale, a keyword followed by a number...)
is one alternative of one compiled regex, read once per reading; the rules of every kind then check the
candidates of their shapes (python-stdnum, the words around them), and the verdicts are remembered for
the few readings of the request in hand, so the family's seven kinds cost one pass.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import regex

from plugins.policy.deadline import finditer, remaining
from plugins.policy.recognisers.context import introduced_as_phone, introduced_as_reference

FLAGS = regex.IGNORECASE | regex.VERSION0
SEPARATOR = r"[ .\-/]"
# A number with at most one separator between its digits, not part of a longer number or of a word: what
# every digits-only identifier is cut from (8 to 22 digits; the rules pick theirs by length). Not after a
# `+`: an international phone number.
DIGIT_RUN = rf"(?<![0-9+]{SEPARATOR})(?<!\+)\d(?:{SEPARATOR}?\d){{7,21}}(?![0-9A-Za-z])(?!{SEPARATOR}[0-9])"
NOT_ALNUM = regex.compile(r"[^0-9A-Za-z]")
BEFORE, AFTER = 36, 14  # characters around a value where its keyword is looked for
REMEMBERED = 8  # readings whose verdicts are kept (a request has four to six)
SHORT = 20_000  # readings up to this long are read with `re`; longer ones with `regex`, bounded by the deadline


def compact(value: str) -> str:
    return NOT_ALNUM.sub("", value).upper()


def keywords(*words: str) -> str:
    """A regex for any of `words` (regexes) as a word of its own or the head of a field name ("NHS",
    "NHS no.", "nhs_number", "nhsNumber"), never inside a longer word."""
    return (r"(?<![A-Za-z])(?:" + "|".join(words) + r")(?:[\s_\-]?(?:numbers?|num|no|nr|nummer|num[eé]ro|n[uú]mero|id|"
            r"code))?(?![a-z])")


def no_check(code: str) -> bool:
    """A code without a check digit: its shape, and its keyword, are all there is."""
    return True


@functools.lru_cache(maxsize=256)
def compiled(source: str) -> re.Pattern:
    return re.compile(source, re.IGNORECASE)


@dataclass(frozen=True)
class Rule:
    """One identifier: the `shape` its candidates have (a pattern's name in the family's `Shapes`), whether a
    candidate is one (`valid`, on the compacted value; `length` characters), and when that is enough:
    always (`bare`), beside one of its `keywords` (a regex looked for just before and after it), or
    written in its `layout` (a regex the value as written matches) where no reference or phone word
    introduces it. The cheap tests come first: stdnum runs only for a candidate that could pass."""

    name: str
    valid: Callable[[str], bool]
    keywords: str = ""
    shape: str = "digits"
    length: int = 0
    bare: bool = False
    layout: str = ""

    def accepts(self, text: str, start: int, end: int, code: str) -> bool:
        if (self.length and len(code) != self.length) or len(set(code)) == 1:
            return False
        before = text[max(0, start - BEFORE):start]
        if self.bare:
            return self.valid(code) and (self.shape != "digits" or not introduced_as_reference(before))
        if self.keywords and compiled(self.keywords).search(text, max(0, start - BEFORE), min(len(text), end + AFTER)):
            return self.valid(code)
        return bool(self.layout) and compiled(self.layout).fullmatch(text, start, end) is not None \
            and not introduced_as_reference(before) and not introduced_as_phone(before) and self.valid(code)


@dataclass(frozen=True)
class Shapes:
    """Shapes that start alike, each from the start of a word: `start`, a lookahead all of them pass
    (most words fail it at once, which keeps the scan quick); `stems`, words of which a reading must hold
    one for these shapes to be looked for at all (their keywords). `patterns`: name -> regex; one with a
    `<name>_value` group (a keyword, then the value) is reported as that group's span."""

    start: str
    patterns: dict[str, str]
    stems: tuple[str, ...] = ()

    @property
    def source(self) -> str:
        return self.start + "(?:" + "|".join(f"(?P<{name}>{pattern})" for name, pattern in self.patterns.items()) + ")"


class Family:
    """Identifiers' shapes and their kinds' rules. At each word start the shapes are tried in order (the
    first that matches is the candidate: narrower shapes first); each candidate is judged by the rules of
    its shape, for every kind at once.

    A reading is scanned and judged once, and the verdicts remembered for the few readings of the request
    in hand: each kind's recogniser only looks its spans up. Readings up to `SHORT` characters are read
    with the standard library's `re` (here about three times faster than `regex`; the shapes are
    linear), longer ones with `regex`, bounded by the scan's deadline.
    """

    def __init__(self, groups: tuple[Shapes, ...], rules: dict[str, tuple[Rule, ...]]) -> None:
        def pattern(chosen: list[Shapes], engine: Callable[[str, int], re.Pattern | regex.Pattern], flags: int):
            return engine(r"(?<![0-9A-Za-z])(?:" + "|".join(group.source for group in chosen) + ")", flags)

        self.stems = tuple(stem for group in groups for stem in group.stems)
        self.full = pattern(list(groups), re.compile, re.IGNORECASE)
        self.bounded = pattern(list(groups), regex.compile, FLAGS)
        self.unstemmed = pattern([group for group in groups if not group.stems], re.compile, re.IGNORECASE)
        shapes = {name: source for group in groups for name, source in group.patterns.items()}
        self.values = {name: f"{name}_value" for name, source in shapes.items() if f"<{name}_value>" in source}
        self.rules = {shape: [(kind, rule) for kind, kind_rules in rules.items() for rule in kind_rules
                              if rule.shape == shape] for shape in shapes}
        self.remembered: dict[str, dict[str, list[tuple[int, int]]]] = {}

    def recogniser(self, kind: str) -> Checked:
        return Checked(kind, self)

    def found(self, text: str, deadline: float | None) -> dict[str, list[tuple[int, int]]]:
        """kind -> spans of its values in `text`."""
        found = self.remembered.get(text)
        if found is not None:
            return found
        found = {}
        matches: Iterable[re.Match | regex.Match]
        if len(text) <= SHORT:
            remaining(deadline)
            lowered = text.lower()
            stemmed = any(stem in lowered for stem in self.stems)
            matches = (self.full if stemmed else self.unstemmed).finditer(text)
        else:
            matches = finditer(self.bounded, text, deadline)
        for match in matches:
            shape = match.lastgroup or ""  # the outer group: the shape's name
            start, end = match.span(self.values.get(shape, shape))
            code = compact(text[start:end])
            for kind, rule in self.rules[shape]:
                if rule.accepts(text, start, end, code):
                    found.setdefault(kind, []).append((start, end))
        if len(self.remembered) >= REMEMBERED:
            self.remembered.clear()
        self.remembered[text] = found
        return found


@dataclass(frozen=True)
class Checked:
    """The recogniser of one of a family's kinds."""

    kind: str
    family: Family
    reads: str = "digits"

    def find(self, text: str, deadline: float | None) -> Iterator[tuple[int, int]]:
        return iter(self.family.found(text, deadline).get(self.kind, ()))
