"""Values said aloud, read back as they are written: number dictation and spelling alphabets.

Number words in English, Spanish, Catalan, Galician, Portuguese, Basque, French, Italian, German, Dutch
and Polish: digits, pairs and compounds ("treinta y cuatro", "sixty-one", "vingt-trois",
"dreiundzwanzig", "ventitré", "quaranta-cinc", "hogeita bat", "drieëntwintig"), "oh" for zero,
"double"/"triple"; letters said with a spelling alphabet (NATO "Echo Sierra", German "Anton, Berta",
Italian "Ancona, Bologna") or as "A de Álava", "B wie Berta", "C come Como", "D as in Delta". Said next
to each other they are one value: "seis, doce, treinta y cuatro" is 61234, "Echo Sierra nine one" ES91.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Iterator

import regex

# Per language: 0-9 (variants with "/"), 10-19, the tens 20-90 (None: made from the units, as in French
# 70-99 and Basque), and how a ten and a unit make a compound ({t}: the ten, {u}: the unit).
LANGUAGES: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    "en": ("zero/oh/nought one two three four five six seven eight nine",
           "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen",
           "twenty thirty forty/fourty fifty sixty seventy eighty ninety", ("{t}-{u}", "{t} {u}", "{t}{u}")),
    "es": ("cero uno/una/un dos tres cuatro cinco seis siete ocho nueve",
           "diez once doce trece catorce quince dieciséis diecisiete dieciocho diecinueve",
           "veinte treinta cuarenta cincuenta sesenta setenta ochenta noventa", ("{t} y {u}",)),
    "ca": ("zero u/un/una dos/dues tres quatre cinc sis set vuit nou",
           "deu onze dotze tretze catorze quinze setze disset divuit dinou",
           "vint trenta quaranta cinquanta seixanta setanta vuitanta noranta", ("{t}-{u}", "{t} {u}", "{t}-i-{u}")),
    "gl": ("cero un/unha dous/dúas tres catro cinco seis sete oito nove",
           "dez once doce trece catorce quince dezaseis dezasete dezaoito dezanove",
           "vinte trinta corenta cincuenta sesenta setenta oitenta noventa", ("{t} e {u}",)),
    "pt": ("zero um/uma dois/duas três quatro cinco seis/meia sete oito nove",
           "dez onze doze treze catorze/quatorze quinze dezesseis/dezasseis dezessete/dezassete dezoito "
           "dezenove/dezanove", "vinte trinta quarenta cinquenta sessenta setenta oitenta noventa", ("{t} e {u}",)),
    "fr": ("zéro un/une deux trois quatre cinq six sept huit neuf",
           "dix onze douze treize quatorze quinze seize dix-sept dix-huit dix-neuf",
           "vingt trente quarante cinquante soixante septante huitante/octante nonante",
           ("{t}-{u}", "{t} {u}", "{t} et {u}", "{t}-et-{u}")),
    "it": ("zero uno/una/un due tre quattro cinque sei sette otto nove",
           "dieci undici dodici tredici quattordici quindici sedici diciassette diciotto diciannove",
           "venti trenta quaranta cinquanta sessanta settanta ottanta novanta", ("{t}{u}",)),
    "de": ("null eins/ein/eine zwei/zwo drei vier fünf sechs sieben acht neun",
           "zehn elf zwölf dreizehn vierzehn fünfzehn sechzehn siebzehn achtzehn neunzehn",
           "zwanzig dreißig vierzig fünfzig sechzig siebzig achtzig neunzig", ("{u}und{t}",)),
    "nl": ("nul een/één twee drie vier vijf zes zeven acht negen",
           "tien elf twaalf dertien veertien vijftien zestien zeventien achttien negentien",
           "twintig dertig veertig vijftig zestig zeventig tachtig negentig", ("{u}en{t}", "{u}ën{t}")),
    "pl": ("zero jeden/jedna/jedno dwa/dwie trzy cztery pięć sześć siedem osiem dziewięć",
           "dziesięć jedenaście dwanaście trzynaście czternaście piętnaście szesnaście siedemnaście "
           "osiemnaście dziewiętnaście", "dwadzieścia trzydzieści czterdzieści pięćdziesiąt sześćdziesiąt "
           "siedemdziesiąt osiemdziesiąt dziewięćdziesiąt", ("{t} {u}",)),
    "eu": ("zero bat bi hiru lau bost/bortz sei zazpi zortzi bederatzi",
           "hamar hamaika hamabi hamahiru hamalau hamabost hamasei hamazazpi hemezortzi hemeretzi", "", ()),
}
# Numbers made otherwise: French 70-99 (sixty and eighty plus 10-19), Basque by twenties, Spanish 21-29
# in one word, Italian's elided tens ("ventuno", "ventotto").
EXTRA_NUMBERS = {
    "fr": {"soixante": 60, "quatre-vingt": 80, "quatre-vingts": 80, "quatre vingt": 80, "quatre vingts": 80},
    "eu": {"hogei": 20, "berrogei": 40, "hirurogei": 60, "laurogei": 80},
}
SPANISH_TWENTIES = "veintiuno/veintiún/veintiuna veintidós veintitrés veinticuatro veinticinco veintiséis " \
                   "veintisiete veintiocho veintinueve"
TIMES = {"double": 2, "doble": 2, "doppio": 2, "doppel": 2, "duplo": 2, "dubbel": 2,
         "triple": 3, "treble": 3, "triplo": 3}
# Spelling alphabets: NATO (ICAO), German (DIN 5009, old and new) and Italian (cities).
ALPHABETS = (
    "alpha/alfa bravo charlie delta echo foxtrot golf hotel india juliet/juliett kilo lima mike november oscar "
    "papa quebec romeo sierra tango uniform victor whiskey/whisky x-ray/xray yankee zulu",
    "anton/aachen berta/berlin cäsar/chemnitz dora/düsseldorf emil/essen friedrich/frankfurt gustav/goslar "
    "heinrich/hamburg ida/ingelheim julius/jena kaufmann/köln ludwig/leipzig martha/münchen "
    "nordpol/nürnberg otto/offenbach paula/potsdam quelle/quickborn richard/rostock samuel/siegfried/salzwedel "
    "theodor/tübingen ulrich/unna viktor/völklingen wilhelm/wuppertal xanthippe/xanten ypsilon "
    "zacharias/zeppelin/zwickau",
    "ancona bologna/bari como domodossola empoli firenze genova hotel imola jolly kappa/kursaal livorno milano "
    "napoli otranto palermo/padova quarto roma savona/salerno torino udine venezia washington xeres "
    "york/ipsilon zara/zeta",
)
# "A de Álava", "B wie Berta", "C come Como", "D comme Denise", "E as in Echo", "F for Fox": the letter
# when the word starts with it.
LETTER_AS_WORD = regex.compile(
    r"(?<![\w])([A-Za-z])\s*(?:,\s*)?(?:de|del|wie|von|come|comme|como|per|as in|for|like)\s+(\p{L}[\p{L}\-]*)",
    regex.IGNORECASE)
GAP = regex.compile(r"[\s,;.·•\-–—]{0,4}")  # what may stand between two dictated items
MIN_DIGITS = 4  # a dictation shorter than this (or of one number word, "um 12") is left as written


def strip_marks(word: str) -> str:
    return "".join(char for char in unicodedata.normalize("NFKD", word) if not unicodedata.combining(char))


def _spellings(word: str) -> set[str]:
    return {word, strip_marks(word), word.replace("ß", "ss"), strip_marks(word.replace("ß", "ss")),
            word.replace("ü", "ue").replace("ö", "oe").replace("ä", "ae")}


@functools.lru_cache(maxsize=1)
def number_words() -> dict[str, str]:
    """Every spelling of 0-99 in the languages above -> its digits."""
    table: dict[str, str] = {}

    def add(word: str, value: int | str) -> None:
        for spelling in _spellings(word):
            table.setdefault(spelling, str(value))

    for language, (units_text, teens_text, tens_text, compounds) in LANGUAGES.items():
        units = [variants.split("/") for variants in units_text.split()]
        teens = [variants.split("/") for variants in teens_text.split()]
        for value, variants in enumerate(units + teens):
            for word in variants:
                add(word, value)
        tens = [variants.split("/") for variants in tens_text.split()]
        for index, variants in enumerate(tens):
            ten = 20 + 10 * index if language != "fr" or index < 5 else (70, 80, 90)[index - 5]
            for word in variants:
                add(word, ten)
                for unit, unit_words in enumerate(units[1:], start=1):
                    for unit_word in unit_words:
                        for form in compounds:
                            add(form.format(t=word, u=unit_word), ten + unit)
                        if language == "it" and unit_word in ("uno", "otto"):
                            add(word[:-1] + unit_word, ten + unit)
                        if language == "it" and unit_word == "tre":
                            add(word + "tré", ten + unit)
        for word, value in EXTRA_NUMBERS.get(language, {}).items():
            add(word, value)
            if language == "fr" or language == "eu":
                tail = word + "ta" if language == "eu" else word
                joins = (" ", " eta ") if language == "eu" else ("-", " ", " et ", "-et-")
                for extra, extra_words in enumerate(units[1:] + teens, start=1):
                    for extra_word in extra_words:
                        for join in joins:
                            add((tail if join == " " else word) + join + extra_word, value + extra)
    for value, spellings in enumerate(SPANISH_TWENTIES.split(), start=21):
        for word in spellings.split("/"):
            add(word, value)
    return table


@functools.lru_cache(maxsize=1)
def spelling_letters() -> dict[str, str]:
    table: dict[str, str] = {}
    for alphabet in ALPHABETS:
        for variants in alphabet.split():
            for word in variants.split("/"):
                for spelling in _spellings(word):
                    table.setdefault(spelling, word[0].upper())
    return table


def _trie(words: Iterable[str]) -> str:
    """A regular expression matching any of `words`, as a trie (one character compared at a time: a
    long list costs what a short one does, unlike an alternation or a named list)."""
    root: dict = {}
    for word in words:
        node = root
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def emit(node: dict) -> str:
        branches = [regex.escape(char) + emit(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return emit(root)


@functools.lru_cache(maxsize=1)
def _item() -> regex.Pattern:
    """One dictated item: a number in words, "double"/"triple", a spelling-alphabet word, digits, or a
    capital letter standing alone."""
    numbers = number_words()
    letters = [word for word in spelling_letters() if word not in numbers]
    return regex.compile(
        rf"(?<![\w])(?:(?P<number>{_trie(numbers)})|(?P<times>{_trie(TIMES)})|(?P<letter>{_trie(letters)})|"
        r"(?P<digits>\d+)|(?-i:(?P<single>[A-Z])))(?![\w])", regex.IGNORECASE)


@functools.lru_cache(maxsize=1)
def _number_word() -> re.Pattern:
    """A number in words, in lower case: the cheap test before a text is read item by item (the standard
    library's engine runs this one quicker)."""
    return re.compile(rf"\b{_trie(number_words())}\b")


def _letter_as_word(match: regex.Match) -> str:
    letter, word = match.group(1), match.group(2)
    return letter.upper() if strip_marks(word[0]).upper() == letter.upper() else match.group(0)


def _said(items: list[regex.Match]) -> str:
    """The value a run of dictated items says: numbers as digits (a "double"/"triple" repeats what
    follows), letters as capitals, a space where letters and digits meet."""
    out: list[str] = []
    times = 1
    for item in items:
        kind, word = item.lastgroup, item.group(0)
        if kind == "times":
            times = TIMES[word.lower()]
            continue
        if kind in ("number", "letter"):
            table = number_words() if kind == "number" else spelling_letters()
            said = table.get(word.lower()) or table.get(strip_marks(word.lower()), "")
        else:
            said = word.upper()
        if out and out[-1][-1:].isdigit() != said[:1].isdigit():
            out.append(" ")  # letters and digits apart: "X 1234567 L", read joined by the number readings
        out.append(said * times)
        times = 1
    return "".join(out)


def said_runs(text: str) -> Iterator[tuple[int, int, str, int]]:
    """(start, end, what it says, how many number words) of each run of dictated items in `text` that says
    at least MIN_DIGITS digits with two number words or more."""
    if len(_number_word().findall(text.lower())) < 2:
        return
    run: list[regex.Match] = []

    def close() -> Iterator[tuple[int, int, str, int]]:
        numbers = sum(item.lastgroup == "number" for item in run)
        said = _said(run) if run else ""
        if numbers >= 2 and sum(char.isdigit() for char in said) >= MIN_DIGITS:
            yield run[0].start(), run[-1].end(), said, numbers
        run.clear()

    for item in _item().finditer(text):
        if run and not GAP.fullmatch(text, run[-1].end(), item.start()):
            yield from close()
        run.append(item)
    yield from close()


def dictated(text: str) -> str | None:
    """`text` with what is dictated in it written as it is meant ("seis, doce, treinta y cuatro" ->
    "61234", "Echo Sierra nine one" -> "ES91"), or None when nothing is (no run of MIN_DIGITS digits
    said in words)."""
    if len(_number_word().findall(text.lower())) < 2:
        return None
    if LETTER_AS_WORD.search(text):
        text = LETTER_AS_WORD.sub(_letter_as_word, text)
    pieces: list[str] = []
    written = 0
    for start, end, said, _ in said_runs(text):
        pieces.append(text[written:start] + said)
        written = end
    if not pieces:
        return None
    return "".join(pieces) + text[written:]
