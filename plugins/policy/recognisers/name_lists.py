"""First and last names of 105 countries, ranked, and whether each is also an ordinary word: the person
recogniser's evidence.

Derived offline by `scripts/build_name_lists.py` from PyPI `names-dataset` (best rank of each name over
all its countries; names ranked within a country's top 5,000) and, for "also a word", Debian's hunspell
dictionaries of the gateway's languages weighted by `wordfreq`. Shipped as
`data/names.tsv.gz` (2.8 MB, ~450,000 names); loaded on first use (about a second, ~60 MB) and kept per
process. An independent source on purpose: the benchmark's generated names come from Faker's lists.
`gateway.escalation.name_list` may point at another file of the same format; if the list cannot be
read, `/health` is `degraded` and the person recogniser fails closed (the request is handled as
unscanned, i.e. strict).
"""

from __future__ import annotations

import functools
import gzip
import unicodedata
from pathlib import Path
from typing import NamedTuple

from plugins.platform.settings import gateway_settings

SHIPPED = Path(__file__).parent / "data" / "names.tsv.gz"


class NameListUnavailable(RuntimeError):
    """The name list cannot be read: person names cannot be recognised."""


class NameInfo(NamedTuple):
    first: int  # best rank as a first name in any country (1 = most common); 0: not a first name
    last: int  # the same as a last name
    word: float  # zipf frequency as an ordinary lower-case word in the gateway's languages; 0: not a word


@functools.lru_cache(maxsize=65536)
def fold(token: str) -> str:
    """A token as the list is looked up: case and accents folded (Whisper and OCR drop accents)."""
    folded = token.casefold()
    if folded.isascii():
        return folded
    decomposed = unicodedata.normalize("NFKD", folded)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def path() -> Path:
    configured = (gateway_settings("escalation").get("name_list") or "").strip()
    return Path(configured) if configured else SHIPPED


def state() -> str:
    """loaded | not loaded | missing, for /health; loads nothing."""
    if name_list.cache_info().currsize:
        return "loaded"
    return "not loaded" if path().is_file() else "missing"


@functools.cache
def name_list() -> dict[str, int]:
    """Folded name -> its ranks and word frequency, packed in one int (a tuple each would cost ~3x the
    memory): first rank << 20 | last rank << 7 | zipf x10."""
    try:
        with gzip.open(path(), "rt", encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except (OSError, EOFError) as error:
        raise NameListUnavailable(f"the name list {path()} cannot be read ({error}); "
                                  "see gateway.escalation.name_list") from error
    table: dict[str, int] = {}
    for line in lines:
        name, first, last, word = line.split("\t")
        table[name] = int(first) << 20 | int(last) << 7 | int(word)
    return table


def lookup(token: str) -> NameInfo | None:
    packed = name_list().get(fold(token))
    if packed is None:
        return None
    return NameInfo(packed >> 20, packed >> 7 & 0x1FFF, (packed & 0x7F) / 10)
