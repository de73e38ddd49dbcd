"""Kinds found by a regular expression alone, optionally confirmed by a checksum: LiteLLM's named
patterns (e-mail, US SSN), the operator's own (`gateway.escalation.patterns`) and keywords."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import regex

from plugins.policy.deadline import finditer


@dataclass(frozen=True)
class Pattern:
    kind: str
    source: str
    check: Callable[[str], bool] | None = None
    flags: int = 0

    @property
    def reads(self) -> str:
        """Patterns for numbers and codes are matched only where the text holds digits: prose without
        numbers costs them nothing."""
        return "numbers" if self.kind != "email" and ("\\d" in self.source or "[0-9" in self.source) else "text"

    @property
    def compiled(self) -> regex.Pattern:
        return _compile(self.source, self.flags)

    def find(self, text: str, deadline: float | None) -> Iterator[tuple[int, int]]:
        for match in finditer(self.compiled, text, deadline):
            if self.check is None or self.check(match.group(0)):
                yield match.span()


_compiled: dict[tuple[str, int], regex.Pattern] = {}


def _compile(source: str, flags: int) -> regex.Pattern:
    if (source, flags) not in _compiled:
        _compiled[(source, flags)] = regex.compile(source, regex.VERSION0 | flags)
    return _compiled[(source, flags)]


def litellm(name: str) -> Pattern:
    """One of LiteLLM's content-filter patterns (litellm_content_filter/patterns.json), by name."""
    from litellm.proxy.guardrails.guardrail_hooks.litellm_content_filter.patterns import get_compiled_pattern

    return Pattern(name, get_compiled_pattern(name).pattern)


def keywords(words: list[str]) -> Pattern:
    """Whole words, any case: `gateway.escalation.keywords`."""
    return Pattern("keyword", r"\b(?:" + "|".join(regex.escape(word) for word in words) + r")\b", None,
                   regex.IGNORECASE)


# Any script's letters before and after the @ (an IDN domain, an accented name): LiteLLM's pattern is ASCII.
# Matched from the start of a word only, so a long run without an @ is read once (linear), not from every letter.
EMAIL = Pattern("email", r"(?<![\w.+\-])[\w.+\-]{1,64}@[\w\-]{1,63}(?:\.[\w\-]{1,63}){1,8}")
