"""The sensitive-data scan's one deadline: what every reader and recogniser of a request checks.

Its own module so that `normalise.py` (the readings) and `recognisers/` (the kinds) both import it
and neither imports the other.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import regex


class ScanTimeout(Exception):
    """The recognisers could not read the whole request in time: it is handled as unscanned."""


def remaining(deadline: float | None) -> float | None:
    """Seconds left before `deadline` (time.monotonic()); ScanTimeout once it has passed."""
    if deadline is None:
        return None
    left = deadline - time.monotonic()
    if left <= 0:
        raise ScanTimeout("the sensitive-data scan ran out of time")
    return left


def finditer(pattern: regex.Pattern, text: str, deadline: float | None) -> Iterator[regex.Match]:
    """The pattern's matches in `text`, the GIL released while matching, bounded by `deadline`."""
    try:
        yield from pattern.finditer(text, concurrent=True, timeout=remaining(deadline))
    except TimeoutError:
        raise ScanTimeout("the sensitive-data scan ran out of time") from None
