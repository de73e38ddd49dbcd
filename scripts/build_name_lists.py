"""Build plugins/policy/recognisers/data/names.tsv.gz: the compact name list the person recogniser loads.

Run offline, once, by a maintainer (the gateway never loads these sources):
    pip install --target /tmp/namebuild names-dataset wordfreq
    apt-get install hunspell-tools hunspell-en-us hunspell-en-gb hunspell-es hunspell-de-de hunspell-fr \
        hunspell-it hunspell-pt-pt hunspell-ca hunspell-nl
    PYTHONPATH=/tmp/namebuild python scripts/build_name_lists.py

Sources: PyPI `names-dataset` (first and last names of 105 countries with their rank per country; its own
loader holds 3.2 GB, so only its pickles are read here), the best rank of each name over all countries;
and, for "is this also an ordinary word", the lower-case stems of Debian's hunspell dictionaries of the
gateway's languages and every form their affix rules make (hunspell's `unmunch`: "todos", "libres",
"monta", "gerada", whose stems are "todo", "libre", "montar", "gerar") weighted by PyPI `wordfreq`'s
frequency in that language (zipf); wordfreq's most frequent dictionary words are listed too, as words only. Each line:
`name<TAB>best first-name rank<TAB>best last-name rank<TAB>word zipf x10`, names folded (case, accents).
"""

from __future__ import annotations

import gzip
import pickle
import subprocess
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "plugins/policy/recognisers/data/names.tsv.gz"
MAX_RANK = 5000  # a name ranked this high in at least one country (names-dataset ranks to ~20,000: noise below)
HUNSPELL = {"en": ("en_US", "en_GB"), "es": ("es_ES",), "fr": ("fr_FR", "fr"), "it": ("it_IT",), "pt": ("pt_PT",),
            "ca": ("ca",), "nl": ("nl", "nl_NL"), "de": ("de_DE",)}
TOP_WORDS = 30000  # wordfreq's most frequent words per language that are dictionary words: also listed, as words
# Endings that make an inflected form of a dictionary stem (plurals, -ed, -ing): "costs", "ventas", "hiring".
ENDINGS = (("s", ""), ("es", ""), ("ies", "y"), ("ed", ""), ("ed", "e"), ("ing", ""), ("ing", "e"), ("en", ""),
           ("n", ""), ("e", ""), ("er", ""))


def fold(token: str) -> str:
    decomposed = unicodedata.normalize("NFKD", token.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def ranked(path: Path) -> dict[str, int]:
    with gzip.open(path) as handle:
        table = pickle.load(handle)
    best: dict[str, int] = {}
    for name, info in table.items():
        if not info.get("rank") or " " in name:
            continue
        rank = min(info["rank"].values())
        if rank <= MAX_RANK and len(name) >= 2:
            key = fold(name)
            best[key] = min(rank, best.get(key, rank))
    return best


def dictionary_path(language: str) -> Path:
    """The first of the language's hunspell dictionaries installed (`.dic`; its `.aff` beside it)."""
    for name in HUNSPELL[language]:
        path = Path("/usr/share/hunspell") / f"{name}.dic"
        if path.exists():
            return path
    sys.exit(f"hunspell dictionary for {language} missing: apt-get install hunspell-{language}")


def dictionary(language: str) -> tuple[set[str], set[str]]:
    """The dictionary's ordinary words (lower-case stems; German: also the capitalised stems its affix flags
    mark as common nouns, which carry a lower-case flag: `Blume/Nm`, not `Maria/S`) and its proper names."""
    entries = [line.split("\t")[0].split(" ")[0].partition("/") for line in
               dictionary_path(language).read_text(encoding="utf-8", errors="replace").splitlines()[1:]]
    lower = {fold(stem) for stem, _, flags in entries
             if stem[:1].islower() or (language == "de" and any(flag.islower() for flag in flags))}
    return lower, {fold(stem) for stem, _, _ in entries if stem[:1].isupper()} - lower


def language_specific(form: str, language: str) -> bool:
    """Whether `form` is used in `language` far more than in the others (1.5 zipf over their median): a word
    of that language ("gerada", "stati", "libres"), not a name, which every language uses about as often
    ("sara", "moussa", "carpio")."""
    from statistics import median

    from wordfreq import zipf_frequency

    others = [zipf_frequency(form, other) for other in HUNSPELL if other != language]
    return zipf_frequency(form, language) - median(others) >= 1.5


def inflected(language: str, wanted: set[str], named: dict[str, int]) -> set[str]:
    """The lower-case forms (folded) among `wanted` that the language's dictionary makes from its stems and
    affix rules; of a name ranked in the top 2,000 (`named`), only a form particular to the language (a rare
    verb form or one set apart by its accent, "sarà", does not make "Sara" a word). Catalan makes 181 million
    forms: streamed."""
    path = dictionary_path(language)
    forms: set[str] = set()
    with subprocess.Popen(["unmunch", str(path), str(path.with_suffix(".aff"))], stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, encoding="utf-8", errors="replace") as process:
        assert process.stdout is not None
        for line in process.stdout:
            form = line.rstrip("\n")
            if form[:1].islower() and (key := fold(form)) in wanted and key not in forms and (
                    named.get(key, MAX_RANK) > 2000 or form == key and language_specific(form, language)):
                forms.add(key)
    return forms


def is_word(token: str, stems: set[str]) -> bool:
    return token in stems or any(token.endswith(end) and token[:-len(end)] + add in stems
                                 for end, add in ENDINGS if len(token) > len(end) + 2)


def main() -> None:
    import importlib.util

    from wordfreq import zipf_frequency

    spec = importlib.util.find_spec("names_dataset")  # its pickles only: importing it loads 3.2 GB
    if spec is None or spec.origin is None:
        sys.exit("pip install names-dataset first")
    data = Path(spec.origin).parent / "v3"
    first, last = ranked(data / "first_names.pkl.gz"), ranked(data / "last_names.pkl.gz")
    from wordfreq import top_n_list

    wanted = first.keys() | last.keys() | {fold(word) for language in HUNSPELL
                                           for word in top_n_list(language, TOP_WORDS)}
    dictionaries = {language: dictionary(language) for language in HUNSPELL}
    named = {name: min(first.get(name, MAX_RANK), last.get(name, MAX_RANK)) for name in first.keys() | last.keys()}
    stems = {language: lower | inflected(language, wanted, named) for language, (lower, _) in dictionaries.items()}
    spelled: dict[str, float] = {}  # folded -> zipf of its accented spelling ("compañía", not "compania")
    for language in HUNSPELL:
        for word in top_n_list(language, TOP_WORDS):
            if word.isalpha() and is_word(fold(word), stems[language]):
                spelled[fold(word)] = max(spelled.get(fold(word), 0.0), zipf_frequency(word, language))
    lines = []
    for name in sorted(first.keys() | last.keys() | spelled.keys()):
        zipf = max([spelled.get(name, 0.0)] + [zipf_frequency(name, language) for language, known in stems.items()
                                               if is_word(name, known)])
        if not (first.get(name) or last.get(name)) and zipf < 2.5:
            continue
        proper = sum(name in names for _, names in dictionaries.values())
        english_word = is_word(name, stems["en"]) and zipf_frequency(name, "en") >= 5.0  # "will", "may", "price"
        if not english_word and proper > sum(name in lower for lower in stems.values()):
            zipf = 0.0  # a proper name in more dictionaries than it is a word in ("Laura", "Maria")
        lines.append(f"{name}\t{first.get(name, 0)}\t{last.get(name, 0)}\t{round(zipf * 10)}")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(OUT, "wt", encoding="utf-8", compresslevel=9) as handle:
        handle.write("\n".join(lines) + "\n")
    print(f"{len(lines)} names ({len(first)} first, {len(last)} last) -> {OUT} ({OUT.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
