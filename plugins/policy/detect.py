"""Find sensitive values in text: the configured recognisers (`policy/recognisers/`) run over every
reading of the request (`policy/normalise.py`).

Regex recognisers run on the `regex` engine with `concurrent=True` (the GIL is released while
matching, so a scan in a worker thread never stalls the event loop); every recogniser shares one
deadline: a scan that cannot finish in time raises `ScanTimeout`, which the policy handles as
unscanned (strict).
"""

from __future__ import annotations

from collections.abc import Iterable

from plugins.policy.deadline import ScanTimeout
from plugins.policy.normalise import readings
from plugins.policy.recognisers import configured

__all__ = ["ScanTimeout", "find_sensitive", "spans"]


def spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, kind) of every value in `text` as written, overlaps resolved to the longest (what
    redaction replaces)."""
    found = [(start, end, recogniser.kind) for recogniser in configured()
             for start, end in recogniser.find(text, None)]
    found.sort(key=lambda span: (span[0], -(span[1] - span[0])))
    kept: list[tuple[int, int, str]] = []
    for span in found:
        if not kept or span[0] >= kept[-1][1]:
            kept.append(span)
    return kept


def find_sensitive(texts: Iterable[str], deadline: float | None = None) -> list[str]:
    """Kinds of sensitive data found (e.g. ["email", "iban"]), in the configured order.
    Raises ScanTimeout when `deadline` (time.monotonic()) passes first."""
    read = readings(texts)
    found = []
    for recogniser in configured():
        for reading in read.read_by(recogniser.reads):
            if next(iter(recogniser.find(reading, deadline)), None) is not None:
                found.append(recogniser.kind)
                break
    return found
