"""Held-out detection sets, written by hand (not by the generator the recognisers are tuned on), for
scripts/bench_detection.py and the recall tests.

Each family's module defines `SAMPLES`: a list of `Sample` — the kind expected, where the value sits
(`place`: prose, form, chat, csv, signature, email, notes, cv, env, json, code, log, ...), a group to
report recall by (a locale or a name's origin), the value itself and the text that holds it. `clean.py`
gathers real text without values (documentation, source code, logs, prose, transcripts) for false alarms.
"""

from __future__ import annotations

from typing import NamedTuple


class Sample(NamedTuple):
    kind: str
    place: str
    group: str
    value: str
    text: str
