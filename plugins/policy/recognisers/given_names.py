"""Given names of Europe and beyond, from Jörg Michael's name dictionary (`nam_dict.txt`, ~48,000
names with their usage per country, GNU FDL), shipped on PyPI inside `gender-guesser`.

An independent source on purpose: the benchmark's names come from Faker's lists, and a gazetteer
built from those would measure Faker against itself. Loaded on first use (0.4 s, a few MB) and kept
per process. A PyPI dependency of the gateway, so nothing is downloaded at start; if it is missing,
`/health` is `degraded` and the person recogniser fails closed (the request is handled as unscanned,
i.e. strict).
"""

from __future__ import annotations

import functools
import importlib.resources
import importlib.util
import unicodedata

DATA = "data/nam_dict.txt"
# The dictionary's first columns, one per country (its own order): usage in the gateway's languages.
WESTERN_EUROPE_AND_USA = ("great_britain", "ireland", "usa", "italy", "malta", "portugal", "spain", "france",
                          "belgium", "luxembourg", "the_netherlands", "east_frisia", "germany", "austria", "swiss")


class GivenNamesUnavailable(RuntimeError):
    """The name dictionary is not installed: person names cannot be recognised."""


def fold(token: str) -> str:
    """A token as the dictionary is looked up: case and accents folded (Whisper and OCR drop accents)."""
    decomposed = unicodedata.normalize("NFKD", token.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def state() -> str:
    """loaded | not loaded | missing, for /health; loads nothing."""
    if given_names.cache_info().currsize:
        return "loaded"
    if importlib.util.find_spec("gender_guesser") is None:
        return "missing"
    return "not loaded" if importlib.resources.files("gender_guesser").joinpath(DATA).is_file() else "missing"


@functools.cache
def given_names() -> frozenset[str]:
    """Every given name used in Western Europe or the USA, folded."""
    try:
        data = importlib.resources.files("gender_guesser").joinpath(DATA)
        text = data.read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError) as error:
        raise GivenNamesUnavailable("the given-name dictionary (PyPI package gender-guesser) is not installed; "
                                    "run scripts/bootstrap") from error
    names: set[str] = set()
    for line in text.splitlines():
        if not line or line[0] in "#=" or len(line) < 4:
            continue
        name = line[3:29].strip()
        # Letters written as <...> codes (e.g. <Ä>) are rare spellings; the plain spelling is listed too.
        if not name or "<" in name:
            continue
        if not line[30:30 + len(WESTERN_EUROPE_AND_USA)].strip():
            continue  # used only further east (e.g. "The", a Vietnamese name): not what the gateway's users write
        names.add(fold(name.replace("+", "-")))  # compounds ("Jean+Pierre") as written with a hyphen
    return frozenset(names)
