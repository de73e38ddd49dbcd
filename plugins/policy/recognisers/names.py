"""Person names: a title and a capitalised name ("Mrs Coles", "Dott. Viviani"), or a given name from an
independent dictionary (`given_names.py`) followed by one to three capitalised surnames ("Gala
Torrecilla Carpio", "Ricardo del Manjón", "Gundel Niemeier-Wagner").

Two tokens at least, so a city ("Paris") or a given name alone is not a person; a run followed by a
company form ("Martin Dupont SARL") or led by a place word ("East Jasmine", "Lake Jennifer") is not a
person either. Chosen over the small spaCy NER pipelines by measurement (docs/PRIVACY.md: recall,
false alarms on clean prose, speed). Capitalisation is the signal: an all-lower-case transcript is not
read for names.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import regex

from plugins.policy.deadline import ScanTimeout, finditer, remaining
from plugins.policy.recognisers.given_names import GivenNamesUnavailable, fold, given_names

TITLES = (r"Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Dame|Lady|Lord|Herr|Frau|Fr|Hr|Dipl\.-Ing|Ing|Mme|Mlle|Mmes|Me|"
          r"Monsieur|Madame|Mademoiselle|Sr|Sra|Srta|Señor|Señora|Señorita|Doña|Dña|Dott|Dott\.ssa|Dr\.ssa|"
          r"Sig|Sig\.ra|Sig\.na|Signor|Signora|Signorina|Avv|Arch|Geom|Rag|Univ\.Prof")
NAME = r"\p{Lu}[\p{L}'’]*\p{Ll}(?:-\p{Lu}[\p{L}'’]*\p{Ll})*"
PARTICLE = (r"(?:de|del|de la|de los|de las|di|da|dal|dalla|della|dos|das|du|des|van|van der|van den|von|"
            r"von der|zu|le|la|y|i|ter|ten|mac|bin)")
TOKEN = rf"(?:(?P<title>(?:{TITLES})\.?)|{NAME})"
# A capitalised run: titles and names, particles between ("Ricardo del Manjón").
RUN = regex.compile(rf"(?<![\p{{L}}\d.'’-]){TOKEN}(?:\s+(?:{PARTICLE}\s+)?{TOKEN})*(?![\p{{L}}\d])", regex.V1)
WORD = regex.compile(rf"(?P<title>(?<![\p{{L}}.])(?:{TITLES})\.?(?!\p{{L}}))|{NAME}", regex.V1)
COMPANY_AFTER = regex.compile(
    r"\s*(?:,\s*)?(?:&|S\.\s?[A-Z][A-Za-z.]*|GmbH|AG|KG|OHG|GbR|e\.\s?V\.|SE|SA|S\.A\.|SL|S\.L\.|SAS|SARL|SNC|S\.p\.A\.|SpA|SPA|s\.r\.l\.|"
    r"srl|S\.r\.l\.|Srl|SRL|KGaA|Stiftung|Inc|LLC|Ltd|PLC|plc|LLP|Corp|Co\b|Group|Gruppe|Holding|Partners|e\s+figli|et\s+Fils|"
    r"Hermanos|und\s+Söhne|and\s+Sons|Bank|Hotel|University|Universität|Università|Universidad|Street|Road|Avenue|"
    r"Station|Airport|Park|Square)\b")
PLACE_BEFORE = regex.compile(r"(?:East|West|North|South|New|Old|Lake|Port|Fort|Mount|Saint|St\.|San|Santa|Santo|"
                             r"Sankt|Bad|Villa|Villafranca|Castel|Borgo|Monte|Mont|Le|La|Los|Las|El|Via|Viale|"
                             r"Piazza|Calle|Plaza|Avenida|Paseo|Rue|Place|Cañada|Rambla|Camino|Glorieta|Ronda|"
                             r"Pasaje|Vicolo|Strada|Corso|Largo|Contrada|Rotonda|Stretto|Canale|Incrocio|Callejón|"
                             r"Alameda|Acceso|Cuesta|Pasadizo|Urbanización|Vial)\s+$")
# Words that start a place or a story, not a person, though the dictionary lists them ("Santa Cruz",
# "Valle Aurina", "Don Quixote"); as a surname they stay ("Pedro Villa").
NOT_LEADS = frozenset(fold(word) for word in """
san santa santo saint sankt madonna val valle monte mont port fort lake mount della dell dalla degli dei oma opa
ab lido terme isola castello bosco ponte porto borgo villa bagni riva don
""".split())
MAX_NAMES = 4  # after a given name: up to three surnames (and a second given name: "Ana Sofía Sancho Gil")
FULL_TITLES = frozenset("Herr Frau Miss Madame Monsieur Mademoiselle Signor Signora Signorina Señor Señora "
                        "Señorita Doña Lady Sir Dame Lord".split())
FROM_PLACE = regex.compile(r"(?<![\p{L}])(?:from|aus|nach|desde|in|im|en)\s+$")  # "shipped from Melle ..."
# Capitalised words that are not surnames (sentence openers, months, days, weekdays, places, things).
NOT_NAMES = frozenset(fold(word) for word in """
the a an and or of in on at to for from by with our your their this that these those we you they he she it
i my me please thanks thank dear hello hi best regards kind yes no not is are was be will can may must
el la los las un una y o de del en con por para su sus mi nuestro nuestra este esta estos estas hola gracias
der die das ein eine und oder mit von zu im am für bei ihr ihre sie wir ich bitte danke hallo liebe lieber
le les une et ou du des au aux pour par avec sur notre votre nos vos ce cette ces bonjour merci cher chère
il lo gli i una e o di da per con su nostro nostra questo questa ciao grazie gentile caro cara
january february march april may june july august september october november december
enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre
januar februar märz juni juli oktober dezember janvier février mars avril mai juin juillet août septembre
octobre novembre décembre gennaio febbraio aprile maggio giugno luglio agosto settembre ottobre dicembre
monday tuesday wednesday thursday friday saturday sunday lunes martes miércoles jueves viernes sábado domingo
montag dienstag mittwoch donnerstag freitag samstag sonntag lundi mardi mercredi jeudi vendredi samedi dimanche
lunedì martedì mercoledì giovedì venerdì sabato domenica
street road avenue lane drive court place square park station airport hotel bank university group company
office team order invoice total customer client account service support manager director
ltd inc llc plc corp gmbh sarl spa srl sas group holding stiftung stazione bahnhof estación gare
""".split())


def is_given_name(word: str) -> bool:
    """A given name of the dictionary, or a compound of them ("Hans-Dieter", "Jens-Uwe")."""
    names = given_names()
    return fold(word) in names or all(fold(part) in names for part in word.split("-"))


def people(text: str, run: regex.Match, deadline: float | None) -> Iterator[tuple[int, int]]:
    """The names in one capitalised run: a title and a name, or a given name and up to three surnames.
    Each word is looked at a bounded number of times: a long run costs linear time."""
    words = list(WORD.finditer(text, run.start(), run.end()))
    index = 0
    while index < len(words):
        if index % 256 == 0:
            remaining(deadline)
        word = words[index]
        # "Frau." ends a sentence: a title written out in full takes no full stop.
        titled = bool(word["title"]) and not (word[0].endswith(".") and word[0][:-1] in FULL_TITLES)
        leads = titled or (is_given_name(word[0]) and fold(word[0]) not in NOT_NAMES | NOT_LEADS
                           and not FROM_PLACE.search(text, max(0, word.start() - 8), word.start())
                           and not PLACE_BEFORE.search(text, max(0, word.start() - 20), word.start()))
        if not leads:
            index += 1
            continue
        first = index + 1
        while titled and first < min(len(words), index + 4) and words[first]["title"]:
            first += 1  # "Herr Dr. Müller", "Univ.Prof. Dr."
        last = first
        while (last < min(len(words), first + MAX_NAMES) and not words[last]["title"]
               and fold(words[last][0]) not in NOT_NAMES):
            last += 1
        if last > first and not (last == len(words) and COMPANY_AFTER.match(text, run.end())):
            yield (word.start(), words[last - 1].end())
            index = last
        else:
            index += 1


@dataclass(frozen=True)
class Names:
    kind: str = "person"
    reads: str = "text"

    def find(self, text: str, deadline: float | None) -> Iterator[tuple[int, int]]:
        try:
            given_names()
        except GivenNamesUnavailable as error:  # fail closed: the request is handled as unscanned (strict)
            raise ScanTimeout(f"person names cannot be recognised: {error}") from error
        for run in finditer(RUN, text, deadline):
            remaining(deadline)
            yield from people(text, run, deadline)


PERSON = Names()
