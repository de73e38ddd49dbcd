"""Person names of every origin, however they are written: weighed token by token against a ranked list
of first and last names of 105 countries (`name_lists.py`), with the words around them as context.

A person is:
- a title and a name ("Mrs Coles", "Dott. Viviani", "Herr Dr. Müller");
- a first name and up to three more names, particles between ("Priya Sharma", "Gala Torrecilla Carpio",
  "Ricardo del Manjón"), in title case or capitals, or a surname then a first name ("Zhang Wei",
  "Sharma, Priya", "GARCÍA LÓPEZ, LAURA");
- in lower case (chat, transcripts), a first and a last name that are not ordinary words ("maria lopez"),
  or after a cue that introduces a person ("talk to kenny pena", "soy ana ruiz");
- a first name alone right after a cue that only a person follows ("Hi Priya", "soy Ionuț", "ich bin
  Jörg", "Regards, Andrei");
- a cell of a table under a header that names it ("first_name,last_name", "apellidos;nombre"): any
  cell of letters under a header that can only hold names, one that reads as a name under "name" or
  "contact" (which may hold products or teams).

A name that is also an ordinary word ("Will", "Grace", "Price", "Water") needs more: a following surname
that is not one, so "Will Price" or a Whisper transcript's "Vendor Price" is not a person while "Will
Smith" is. A run followed by a company form ("Martin Dupont SARL") or led by a place word ("Lake
Jennifer", "San Marco") is not a person either. Chosen over the small spaCy NER pipelines by measurement
(docs/PRIVACY.md: recall, false alarms on clean prose, speed).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

import regex

from plugins.policy.deadline import ScanTimeout, finditer, remaining
from plugins.policy.recognisers.columns import cells_under
from plugins.policy.recognisers.name_lists import NameInfo, NameListUnavailable, fold, lookup, name_list

TITLES = frozenset(fold(title) for title in (
    "Mr Mrs Ms Miss Mx Dr Prof Sir Dame Lady Lord Herr Frau Fr Hr Ing Mme Mlle Mmes Me Monsieur Madame "
    "Mademoiselle Sr Sra Srta Señor Señora Señorita Doña Dña Dott Dott.ssa Dr.ssa Sig Sig.ra Sig.na Signor "
    "Signora Signorina Avv Arch Geom Rag Mevrouw Mevr Dhr Heer Pan Pani Sn Sñr Sta Dª D.ª Lic Licda Ldo Lda "
    "Eng Engº Dra").split())
FULL_TITLES = frozenset(fold(title) for title in "Herr Frau Miss Madame Monsieur Mademoiselle Signor Signora "
                        "Signorina Señor Señora Señorita Doña Lady Sir Dame Lord Mevrouw Heer Pan Pani".split())
PARTICLES = frozenset("de del della dela di da dal dalla dos das do du des van der den von zu le la los las y i "
                      "ter ten mac bin ben bint al el ibn abu ould ait ap af".split())
# Particles that join a name written all in lower case ("yassine el fassi"); "di", "de" are read as prepositions.
LOWER_PARTICLES = frozenset("el al ben bin bint ait ibn abu ould".split())
# Capitalised words that are not names here (sentence openers, months, days, things), whatever the list says.
NOT_NAMES = frozenset(fold(word) for word in """
the a an and or of in on at to for from by with our your their this that these those we you they he she it
i my me please thanks thank dear hello hi hey best regards kind yes no not is are was be can must
el la los las un una y o de del en con por para su sus mi nuestro nuestra este esta estos estas hola gracias
der die das ein eine und oder mit von zu im am für bei ihr ihre sie wir ich bitte danke hallo liebe lieber
le les une et ou du des au aux pour par avec sur notre votre nos vos ce cette ces bonjour merci cher chère
il lo gli una e o di da per con su nostro nostra questo questa ciao grazie gentile caro cara
january february march april may june july august september october november december
enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre
januar februar märz juni juli oktober dezember janvier février mars avril mai juin juillet août septembre
octobre novembre décembre gennaio febbraio aprile maggio giugno luglio agosto settembre ottobre dicembre
monday tuesday wednesday thursday friday saturday sunday lunes martes miércoles jueves viernes sábado domingo
montag dienstag mittwoch donnerstag freitag samstag sonntag lundi mardi mercredi jeudi vendredi samedi dimanche
lunedì martedì mercoledì giovedì venerdì sabato domenica
street road avenue lane drive court place square park station airport hotel bank university group company
office team order invoice total customer client account service support manager director
ltd inc llc plc corp gmbh sarl spa srl sas holding stiftung stazione bahnhof estación gare
calle plaza avenida paseo carrer rua rue via viale piazza strada straße strasse platz weg
api sdk url uri ui ux cpu gpu ram usb pdf csv json xml html http https tcp udp dns ssh vpn sql llm faq eta kpi
roi saas crm erp iban swift bic vat nif dni nie cif ssn nhs pin otp ceo cto cfo coo hr pr qa ok tv eu uk usa
zur zum beim vom ins none null true false self cls nan inf auf aus nach über unter vor hinter neben durch gegen
ohne um wenn noch nur sehr auch schon dann
foo bar baz qux quux corge grault garply plugh xyzzy thud spam eggs
debian gnu linux ubuntu fedora github gitlab docker kubernetes xen
""".split()) - {"april", "may", "june", "julio", "august", "avril", "mai"}  # also first names: the weights decide
# Words that start a place or a story, not a person, though the list holds them ("Santa Cruz", "Don Quixote"),
# or a filler after a cue ("frag mal jakub …").
NOT_LEADS = frozenset(fold(word) for word in """
san santa santo saint sankt madonna val valle monte mont port fort lake mount della dell dalla degli dei oma opa
ab lido terme isola castello bosco ponte porto borgo villa bagni riva east west north south new old don
january february march september october november december
mal bitte kurz doch eben
""".split())  # April, June, August, Avril, Mai, Julio are first names too: the list's weights decide
# Places whose words the list holds as names ("Hong" and "Kong" are both).
PLACES = frozenset(("hong kong", "sri lanka", "costa rica", "puerto rico", "abu dhabi", "tel aviv", "buenos aires",
                    "sierra leone", "burkina faso", "kuala lumpur", "phnom penh", "ho chi minh", "chiang mai"))
COMPANY_AFTER = regex.compile(
    r"\s*(?:,\s*)?(?:&|S\.\s?[A-Z][A-Za-z.]*|GmbH|AG|KG|OHG|GbR|e\.\s?V\.|SE|SA|S\.A\.|SL|S\.L\.|SAS|SARL|SNC|S\.p\.A\.|SpA|SPA|s\.r\.l\.|"
    r"srl|S\.r\.l\.|Srl|SRL|KGaA|Stiftung|Inc|LLC|Ltd|PLC|plc|LLP|Corp|Co\b|Group|Gruppe|Holding|Partners|e\s+figli|et\s+Fils|"
    r"Hermanos|und\s+Söhne|and\s+Sons|Bank|Hotel|University|Universität|Università|Universidad|Street|Road|Avenue|"
    r"Station|Airport|Park|Square)\b")
PLACE_BEFORE = regex.compile(r"(?i:\b(?:East|West|North|South|New|Old|Lake|Port|Fort|Mount|Saint|St\.|San|Santa|Santo|"
                             r"Sankt|Bad|Villa|Castel|Borgo|Monte|Mont|Via|Viale|Piazza|Calle|Plaza|Avenida|Paseo|Rue|"
                             r"Place|Rambla|Camino|Ronda|Carrer|Rua|Rúa|Avinguda|Plaça|Passeig|Travessa|Praça|Largo|"
                             r"Corso|Vicolo|Allée|Boulevard|Quai|Chemin|Impasse|Avda|Av|C/)\.?\s+(?:(?:de|del|de la|"
                             r"di|da|du|des|dos|das|do|d')\s*)?$)")
FROM_PLACE = regex.compile(r"(?<![\p{L}])(?:from|aus|nach|desde|in|im|en)\s+$")  # "shipped from Melle"
# A cue that introduces a person: the name after it may be in lower case, or a first name alone.
CUE = regex.compile(r"""(?ix)(?:^|(?<=[^\p{L}]))(?:
    hi|hello|hey|dear|thanks|thank\s+you|cheers|regards|best|sincerely|yours|this\s+is|i\s*am|i'?m|my\s+name\s+is|
    name|contact|attn|att|c/o|cc|from|to|with|ask|tell|call|ring|email|e-mail|text|ping|message|meet|met|
    talk\s+to|speak\s+to|spoke\s+(?:to|with)|talked\s+(?:to|with)|according\s+to|signed|by|for|
    hola|querid[oa]|estimad[oa]|gracias|saludos|atentamente|un\s+saludo|soy|me\s+llamo|mi\s+nombre\s+es|nombre|
    de\s+parte\s+de|con|para|habla|llama|llamar|pregunta|dile|a\s+la\s+atención\s+de|
    hallo|liebe|lieber|sehr\s+geehrte[rs]?|grüße|gruß|viele\s+grüße|ich\s+bin|mein\s+name\s+ist|mit|von|an|herrn?|
    bonjour|salut|cher|chère|merci|cordialement|je\s+suis|je\s+m'appelle|avec|pour|de\s+la\s+part\s+de|
    ciao|salve|gentile|car[oa]|grazie|saluti|cordiali\s+saluti|sono|mi\s+chiamo|chiedi|chiama|
    olá|ola|obrigad[oa]|cumprimentos|sou|chamo-me|o\s+meu\s+nome\s+é|
    hoi|beste|groeten|met\s+vriendelijke\s+groet|ik\s+ben|mijn\s+naam\s+is|
    bon\s+dia|hola|salutacions|sóc|em\s+dic|kaixo|ni\s+naiz|
    loop\s+in|remind|waiting\s+on|heard\s+from|assign(?:ed)?\s+to|cc'?d|invite|introduce|
    avisa(?:r|le)?|recuerda(?:le)?|escr[ií]be(?:le)?|manda(?:le)?|p[aá]sa(?:le)?|qued[eéo]\s+con|quedamos\s+con|
    sag|frag|schreib|demande|dis|écris|chiedi|scrivi|di'|pergunta|diz|avisa|
    dm|slack|see|thanks\s+to|owner|lo\s+tiene|lo\s+lleva|lo\s+sabe|habla|habl[eé]|preg[uú]ntale|
    truca|parla|amb|digues(?:-li)?|escriu|ruf|bei|für|c'est|voir\s+avec|appelle|parle|chez|senti|
    fala|liga(?:\s+para|\s+pro)?|(?<!\.)com|
    \p{L}+(?:le|les)\s+(?:\p{L}+\s+){0,3}a   # Spanish dative: "pásale el informe a", "dile a"
    )(?:\s+(?:mal|bitte|kurz|doch|eben|just|quickly|also))?(?:\s+(?:a|à|al|ao|an|to|o|en|na))?\s*[,:]?\s*$""")
# Cues after which a first name alone is a person ("Hi Priya", "soy Ionuț", "Regards,\nAndrei").
LONE_CUE = regex.compile(r"""(?ix)(?:^|(?<=[^\p{L}]))(?:
    hi|hello|hey|dear|thanks|thank\s+you|cheers|regards|best\s+regards|kind\s+regards|sincerely|this\s+is|
    i'?m|i\s+am|my\s+name\s+is|hola|querid[oa]|estimad[oa]|gracias|saludos|atentamente|soy|me\s+llamo|
    hallo|liebe|lieber|grüße|gruß|ich\s+bin|bonjour|salut|cher|chère|cordialement|je\s+suis|je\s+m'appelle|
    ciao|gentile|car[oa]|grazie|saluti|sono|mi\s+chiamo|olá|obrigad[oa]|sou|hoi|beste|groeten|ik\s+ben|
    sóc|em\s+dic|kaixo
    )\s*[,:!]?\s*$""")
# East Asian family names, romanised (pinyin, Cantonese, Korean, Vietnamese): written first or last, with given
# names that are often ordinary words elsewhere ("Wang Fang", "Liu Bo", "Huang Lei"). Not "Kong": "Hong Kong".
EAST_ASIAN_SURNAMES = frozenset("""
wang li zhang liu chen yang huang zhao wu zhou xu sun ma zhu hu guo he gao lin luo zheng liang xie song tang han
feng deng cao peng zeng xiao tian dong yuan pan yu jiang cai du ye cheng su wei lu ding ren shen yao cui zhong tan
fan jin shi liao jia xia fu fang bai zou meng xiong qin qiu yin xue yan duan lei hou long shao wan qian dai mo
xiang wong chan cheung leung lau ng ho chow tsang yip kwok chu lam tse kim lee park choi jung kang cho yoon jang
lim shin oh seo kwon hwang ahn nguyen tran le pham hoang huynh phan vu vo dang bui do ngo duong ly
""".split())
ROMANISED_GIVEN = regex.compile(r"(?i)[a-z]{1,6}-[a-z]{2,6}")  # "Seo-yeon", "Ji-woo", "Xiao-ming"
# Two letters at least (a single letter is an initial, never the name itself): a 1 MB "a.a.a." holds no word.
WORD = regex.compile(r"(?<![\p{L}\p{M}\d_])\p{L}[\p{L}\p{M}'’]+(?:[-‐]\p{L}[\p{L}\p{M}'’]*)*\.?")
# Between two words of one name: spaces (one line break at most), or a comma where a surname comes first.
JOIN = regex.compile(r"[ \t\u00a0]+|[ \t]*\r?\n[ \t]*")
COMMA = regex.compile(r"[\"']?[,;\t][\"']?")  # a CSV row: "Laura,Gómez", '"Laura","Gómez"' (prose: "Pascal, Perl")
SURNAME_COMMA = regex.compile(r"[\"']? ?[,;\t] ?[\"']?")  # "Sharma, Priya"
# Words after a name that only a person's take ("edwin choque is off sick", "dice que", "hat angerufen").
PERSON_AFTER = regex.compile(
    r"[ \t]+(?:is|was|will|would|has|had|said|says|told|asked|wants|thinks|called|replied|emailed|wrote|can't|"
    r"cannot|won't|isn't|wasn't|doesn't|didn't|takes|took|needs|knows|gets|got|sends|sent|handles|leads|joins|"
    r"joined|left|owns|runs|should|could|might|must|"
    r"dice|dijo|ha|había|está|estaba|quiere|llamó|llama|tiene|viene|"
    r"hat|ist|war|sagt|meint|kommt|a|est|dit|veut|vient|è|vuole|disse|diz|quer|ligou|tem|vai|zegt|heeft|"
    r"(?:lo|se|me|te|nos)[ \t]+\p{L}{3,})\b")  # "… lo revisa mañana", "… se encarga"
MONTHS = frozenset(fold(word) for word in """january february march april may june july august september october
november december enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre januar
februar märz juni juli oktober dezember janvier février mars avril mai juin juillet août septembre octobre
novembre décembre gennaio febbraio aprile maggio giugno luglio settembre ottobre dicembre""".split())
LIST_AFTER = regex.compile(r"\s*(?:,|and|y|e|und|et|&)\s+\p{Lu}")  # "Vaughn, Haney and Harrison": a firm
ROMAN = regex.compile(r"[IVX]{1,4}")
STREET_WORD = regex.compile(r"(?i)(?:straße|strasse|straat|gracht|gasse|allee|laan|plein|kade|singel|dijk|platz)$")
MAX_NAMES = 4
COMMON = 4.0  # zipf at or above which a name is first an ordinary word ("will", "grace", "price")
WORDLIKE = 3.0  # ... and at or above which a follower cannot vouch for such a lead
FUNCTION_WORD = 6.5  # a word this common never leads a name ("Auf Mann"); "Will" (6.4) still may
ANCHORED_LEAD = 4.5  # ... and below which a lower-case lead is a first name before a surname that is nothing else
FOLLOWER_WORD = 3.5  # a word this common ends a name (unless it is among the commonest last names)


def unlisted(token: Token) -> bool:
    """A lower-case word of four letters or more that neither the name list nor the word lists hold
    ("urdangarin", "hrytsenko"): after a cue or before what a person does, a surname the list lacks."""
    return token.info is None and len(token.key) >= 4 and token.key.isalpha()


class Token(NamedTuple):
    text: str
    start: int
    end: int
    case: str  # "title", "upper", "lower" or "other"
    info: NameInfo | None
    key: str

    @property
    def first(self) -> bool:
        return self.info is not None and self.info.first > 0 and self.key not in NOT_NAMES

    @property
    def known(self) -> bool:
        return self.info is not None and self.key not in NOT_NAMES

    @property
    def word(self) -> float:
        return self.info.word if self.info else 0.0

    @property
    def capitalised(self) -> bool:
        return self.case in ("title", "upper")


INNER_CAPITAL = regex.compile(r"^(?:Mc|Mac|O['’]|D['’]|Di|De|Da|La|Le|Van|Fitz|St)?\p{Lu}[^\p{Lu}]*$")
VOWEL = regex.compile(r"[aeiouyAEIOUY]|[\p{L}--\p{ASCII}]", regex.V1)  # any non-ASCII letter may be one


def _case(text: str) -> str:
    """"title" ("Laura", "McDonald", "Niemeier-Wagner"), "upper" ("GÓMEZ"), "lower", or "other" ("SysRq",
    "TCP", "ES": camel case, no vowel, or two capitals, is not a name)."""
    if text.islower():
        return "lower"
    letters = [char for char in text if char.isalpha()]
    if not VOWEL.search(text):
        return "other"
    if all(char.isupper() for char in letters):
        return "upper" if len(letters) > 2 else "other"
    if letters[0].isupper():
        parts = regex.split(r"[-‐]", text)
        return "title" if all(INNER_CAPITAL.match(part) for part in parts) else "other"
    return "lower" if all(char.islower() for char in letters) else "other"


@functools.lru_cache(maxsize=65536)
def _classify(word: str) -> tuple[str, str, NameInfo | None, str]:
    """(the word as kept, its case, what the list says, its folded key): words repeat, so this is cached."""
    text = word.rstrip(".")
    key = fold(text)
    info = lookup(text)
    if info is None and "-" in text:  # "Hans-Dieter", "Niemeier-Wagner": its parts
        parts = [lookup(part) for part in regex.split(r"[-‐]", text)]
        if all(parts):
            info = NameInfo(max(p.first for p in parts if p) if all(p and p.first for p in parts) else 0,
                            max(p.last or p.first for p in parts if p), min(p.word for p in parts if p))
    if info is None and len(key) >= 6 and text[:1].isupper():  # "Maryalice", "Annmarie": two first names run together
        info = next((NameInfo(max(a.first, b.first), 0, 0.0) for a, b in (
            (lookup(text[:cut]), lookup(text[cut:])) for cut in range(3, len(text) - 2))
            if a and b and 0 < a.first <= 500 and 0 < b.first <= 500 and not a.word and not b.word), None)
    return (word if key in TITLES else text), _case(text), info, key


def _token(match: regex.Match) -> Token:
    text, case, info, key = _classify(match[0])
    return Token(text, match.start(), match.start() + len(text), case, info, key)


class Scan:
    """The words of one text and the person spans among them."""

    def __init__(self, text: str, deadline: float | None) -> None:
        self.text, self.deadline = text, deadline
        self.words = [_token(match) for match in finditer(WORD, text, deadline)]

    def joined(self, left: Token, right: Token, comma: regex.Pattern | None = None) -> bool:
        gap = self.text[left.end:right.start]
        return bool(JOIN.fullmatch(gap) or (comma and comma.fullmatch(gap)))

    def before(self, token: Token, width: int = 40) -> str:
        return self.text[max(0, token.start - width):token.start]

    def cued(self, token: Token) -> bool:
        return CUE.search(self.before(token)) is not None

    def place_led(self, token: Token) -> bool:
        before = self.before(token, 24)
        return PLACE_BEFORE.search(before) is not None or (token.capitalised and FROM_PLACE.search(before) is not None)

    def followers(self, index: int, capitalised: bool, cued: bool = False) -> int:
        """How many words after `index` continue the name: same case family, names or unknown words that are
        not ordinary words, particles between; a comma only before a listed last name ("Laura,Gómez")."""
        count, position, last = 0, index + 1, index
        while position < len(self.words) and count < MAX_NAMES - 1:
            word = self.words[position]
            surname = word.info is not None and 0 < word.info.last <= 1000
            comma = COMMA if count == 0 and (surname or word.word < 2.5) else None
            if not self.joined(self.words[position - 1], word, comma=comma):
                break
            if word.key in LOWER_PARTICLES and word.case == "lower" and not capitalised:  # "yassine el fassi"
                after = self.words[position + 1] if position + 1 < len(self.words) else None
                if after is None or after.case != "lower" or not after.known or after.word >= 2.5 \
                        or not self.joined(word, after):
                    break
                position += 1
                continue
            if word.key in PARTICLES and word.case == "title" and capitalised:  # "Yassine El Fassi", "Omar Ben Ali"
                after = self.words[position + 1] if position + 1 < len(self.words) else None
                if after is not None and after.case == "title" and after.known and after.word < 2.5 \
                        and after.key not in PARTICLES and self.joined(word, after):
                    position += 1
                    continue
            if word.key in PARTICLES and word.case == "lower" and capitalised:
                beyond = position + 1  # past "van der", "de los"
                while beyond < len(self.words) and beyond < position + 3 and self.words[beyond].key in PARTICLES \
                        and self.words[beyond].case == "lower":
                    beyond += 1
                if beyond < len(self.words) and self.words[beyond].case != "title":
                    break  # "Si le DNS"
                position += 1
                continue
            if word.key in TITLES or word.key in NOT_NAMES or word.key in MONTHS or word.case == "other" or (
                    COMPANY_AFTER.match(self.text, self.words[position - 1].end) or ROMAN.fullmatch(word.text)):
                break
            if capitalised and not word.capitalised or STREET_WORD.search(word.text):
                break  # "Jan Pieterszoon Coenstraat 7" is a street
            if not capitalised and (word.case != "lower" or not (word.known or unlisted(word))):
                break
            if word.word >= FOLLOWER_WORD and not (surname and (capitalised or count == 0)) \
                    and not (cued and count == 0 and word.case == "title" and word.word < FUNCTION_WORD):
                break  # "Laura Meeting", "Chrome Developers", "maria tomorrow": an ordinary word ends the name
            count, last, position = count + 1, position, position + 1
        return last - index

    def vouched(self, lead: Token, follower: Token) -> bool:
        """A lead that is also an ordinary word ("Will", "Li") is a first name when a last name follows that is
        not one ("Will Smith"), or, capitalised mid-sentence, when both are among the commonest names ("Li Na")."""
        info = follower.info
        if info is None or not info.last:
            return False
        if (0 < info.last <= 300 and follower.word < FOLLOWER_WORD) or follower.word < WORDLIKE:
            return True
        previous = self.words[self.words.index(lead) - 1] if self.words.index(lead) else None
        return bool(lead.info and lead.info.first <= 100 and info.last <= 100 and lead.case == follower.case == "title"
                    and (self.cued(lead) or previous is not None and previous.case == "lower"
                         and self.joined(previous, lead)))

    def span(self, first: int, last: int) -> tuple[int, int] | None:
        """The words' span, unless a company form follows ("Martin Dupont SARL"), or, in capitals, the run of
        capitals goes on either side ("THAI CHARACTER SARA AE")."""
        end = self.words[last].end
        if COMPANY_AFTER.match(self.text, end) or " ".join(word.key for word in self.words[first:last + 1]) in PLACES:
            return None
        if self.words[first].case == "upper" and any(
                0 <= other < len(self.words) and self.words[other].case == "upper"
                and self.joined(*sorted((self.words[other], self.words[first if other < first else last]),
                                        key=lambda token: token.start)) for other in (first - 1, last + 1)):
            return None
        return self.words[first].start, end

    def titled(self, index: int) -> tuple[int, int] | None:
        """"Mrs Coles", "Herr Dr. Müller", "Sra. García"."""
        word = self.words[index]
        if word.key.rstrip(".") not in TITLES or (word.text.endswith(".") and word.key.rstrip(".") in FULL_TITLES):
            return None
        if not word.text[:1].isupper() or word.text.rstrip(".").isupper() and len(word.key) > 1 and not (
                index + 1 < len(self.words) and self.words[index + 1].case == "upper"):
            return None  # "MS Windows" is not "Ms Windows"
        position = index + 1
        while position < len(self.words) and self.words[position].key.rstrip(".") in TITLES and position < index + 4:
            position += 1
        if position >= len(self.words) or not self.joined(self.words[position - 1], self.words[position]):
            return None
        count = self.followers(position - 1, True)
        target = self.words[position]
        if target.word >= FOLLOWER_WORD and not (target.info and 0 < target.info.last <= 1000):
            return None  # "Frau Milch"
        if target.capitalised and target.key not in NOT_NAMES and target.case != "other":
            return index, position - 1 + max(count, 1)
        return None

    def led_by_first_name(self, index: int) -> tuple[int, int] | None:
        """"Priya Sharma", "Will Smith" (not "Will Price"), "kenny pena" after a cue."""
        word = self.words[index]
        if not word.first or word.key in NOT_LEADS or self.place_led(word):
            return None
        capitalised = word.capitalised
        if not capitalised and word.case != "lower":
            return None
        cued = capitalised and word.case == "title" and self.cued(word)  # "hablé con Alba Agullo"
        count = self.followers(index, capitalised, cued)
        if count == 0:
            return None
        tail = [name for name in self.words[index + 1:index + count + 1] if name.key not in PARTICLES]
        if not tail:
            return None
        follower = tail[0]
        long_name = len(tail) >= 2 and all(name.word < WORDLIKE for name in tail)  # "Gala Torrecilla Carpio"
        trusted = cued and follower.case == "title" and word.word < FUNCTION_WORD and word.info is not None \
            and word.info.first <= 1000  # a first name after a cue, a capitalised word after it
        if word.word >= COMMON and not long_name and not trusted and (
                word.info is None or word.info.first > 1000 or word.word >= FUNCTION_WORD
                or not self.vouched(word, follower)):
            return None  # "Will Smith", not "Will Price" nor "Compañía Aparicio"
        if not capitalised:  # lower case: a cue before it, or names that are not ordinary words
            return (index, index + count) if self.lower_case_name(word, follower, index + count) else None
        return index, index + count

    def lower_case_name(self, word: Token, follower: Token, last: int) -> bool:
        """A first name and a last name in lower case: after a cue; or neither an ordinary word ("maria
        lopez"); or the last name one that is nothing else ("pilar vázquez", "jun mendoza"); or followed by
        what a person does ("edwin choque is off sick"). Not "gemma hughes" after a cue: an ordinary word,
        then a surname that is not one."""
        if word.key in PARTICLES:  # "ait effectué": a particle does not lead a name in lower case
            return False
        first_rank = word.info.first if word.info is not None else 99999
        last_rank = (follower.info.last or 99999) if follower.info is not None else 99999
        plain = word.word < 2.5 and follower.known and follower.word < 2.5 and len(follower.key) >= 3 \
            and first_rank <= 2000 and last_rank <= 3000
        surname = last_rank <= 5000 and follower.word < 2.5
        strong = last_rank <= 1000 and follower.word < 1.0  # a surname that is nothing else
        anchored = strong and len(follower.key) >= 3 and follower.key.isalpha() and first_rank <= 1000 \
            and word.word < ANCHORED_LEAD
        acted = (word.word < COMMON or strong and word.word < FUNCTION_WORD) and first_rank <= 2000 \
            and (last_rank <= 5000 and follower.word <= 4.5 or unlisted(follower)) \
            and PERSON_AFTER.match(self.text, self.words[last].end) is not None
        if anchored or acted:
            return True
        cued = self.cued(word)
        return (cued or plain) and (word.word < COMMON or cued and surname)

    def surname_first(self, index: int) -> tuple[int, int] | None:
        """"Zhang Wei", "Sharma, Priya", "GARCÍA, LAURA": a last name, then a first name, neither a word."""
        word = self.words[index]
        if index + 1 >= len(self.words) or not word.capitalised or not word.known or word.word >= WORDLIKE:
            return None
        if word.info is None or not word.info.last or word.key in NOT_LEADS or self.place_led(word) or (
                COMPANY_AFTER.match(self.text, word.end)):
            return None
        given = self.words[index + 1]
        if not (given.capitalised and given.first and given.word < WORDLIKE
                and self.joined(word, given, comma=SURNAME_COMMA)):
            return None
        last = index + 1 + self.followers(index + 1, True)
        if not JOIN.fullmatch(self.text[word.end:given.start]) and LIST_AFTER.match(self.text, self.words[last].end):
            return None  # "Myers, Robinson and Abbott" is a firm
        return index, last

    def east_asian(self, index: int) -> tuple[int, int] | None:
        """"Wang Fang", "Liu Bo", "Seo-yeon Lee", and in lower case after a cue ("loop in liu bo"): a family
        name of the list and a given name, in either order, both of one case. A family name that is a
        common word ("He", "Ma") needs the cue."""
        if index + 1 >= len(self.words):
            return None
        word, other = self.words[index], self.words[index + 1]
        case = self._east_asian_case(word)
        if case not in ("title", "lower") or self._east_asian_case(other) != case \
                or not self.joined(word, other, COMMA):
            return None
        if word.key in NOT_NAMES or other.key in NOT_NAMES or self.place_led(word):
            return None
        cued = self.cued(word)
        if case == "lower" and not cued:
            return None

        def given(token: Token) -> bool:
            listed = token.info is not None and 0 < token.info.first <= 1000
            return listed or bool(ROMANISED_GIVEN.fullmatch(token.text))

        def family(token: Token) -> bool:
            return token.key in EAST_ASIAN_SURNAMES and (token.word < FUNCTION_WORD or cued)

        if family(word) and given(other) and other.key not in PARTICLES:
            return index, index + 1
        if given(word) and family(other) and (word.word < COMMON or ROMANISED_GIVEN.fullmatch(word.text) or cued):
            return index, index + 1
        return None

    @staticmethod
    def _east_asian_case(token: Token) -> str:
        """A romanised given name's case: "Seo-yeon" is title case (its second syllable is not capitalised)."""
        if token.case == "other" and ROMANISED_GIVEN.fullmatch(token.text) and token.text[0].isupper() \
                and token.text[1:].replace("-", "").islower():
            return "title"
        return token.case

    def alone_after_cue(self, index: int) -> tuple[int, int] | None:
        """"Hi Priya", "soy Ionuț", "Regards,\nAndrei": a first name alone where only a person goes."""
        word = self.words[index]
        if not word.first or word.word >= WORDLIKE or word.key in NOT_LEADS:
            return None
        if not word.capitalised and not regex.search(r"(?i)(?:name\s+is|soy|me\s+llamo|ich\s+bin|je\s+suis|"
                                                     r"sono|mi\s+chiamo|sou|ik\s+ben|sóc)\s*$", self.before(word)):
            return None
        return (index, index) if LONE_CUE.search(self.before(word)) else None

    def people(self) -> Iterator[tuple[int, int]]:
        index = 0
        while index < len(self.words):
            if index % 256 == 0:
                remaining(self.deadline)
            found = (self.titled(index) or self.led_by_first_name(index) or self.surname_first(index)
                     or self.east_asian(index) or self.alone_after_cue(index))
            span = found and self.span(*found)
            if found and span:
                yield span
                index = found[1] + 1
            else:
                index += 1


# Table headers (case, spaces, "_", "-" and "." removed) of columns that hold only people's names ...
NAME_COLUMNS = frozenset("""
firstname first givenname given forename forenames lastname last surname surnames familyname fullname middlename
nombre nombres apellido apellidos primerapellido segundoapellido nombrecompleto nombreyapellidos
nom prénom prenom nomcomplet nomdefamille nome cognome nomecompleto vorname nachname familienname vollständigername
voornaam achternaam tussenvoegsel sobrenome apelido apelidos nomecompleto izena abizena abizenak cognom cognoms
contactname customername clientname employeename patientname accountholder cardholder titular holdername
""".split())
# ... and of columns that hold a person's name among other things (products, teams): the cell must read as one.
MAYBE_NAME_COLUMNS = frozenset("""
name names contact customer client employee person author assignee owner manager attendee participant member
cliente empleado contacto responsable persona autor asistente participante naam klant medewerker
""".split())
NOT_CELL_NAMES = frozenset("n/a na none null nil yes no true false unknown tbd tbc sí si ninguno ja nein oui non"
                           .split())
CELL_NAME = regex.compile(r"\p{L}[\p{L}\p{M}'’.-]*(?:[ ]+\p{L}[\p{L}\p{M}'’.-]*){0,4}")


def _column_names(text: str, deadline: float | None) -> Iterator[tuple[int, int]]:
    """Cells under a name column's header: letters only, at most five words; under a header such as "name",
    only a cell led by a listed first name, or of two or more listed names, none an ordinary word."""
    for start, end, header in cells_under(text, NAME_COLUMNS | MAYBE_NAME_COLUMNS, deadline):
        cell = text[start:end]
        if not CELL_NAME.fullmatch(cell) or fold(cell) in NOT_CELL_NAMES:
            continue
        if header in MAYBE_NAME_COLUMNS:
            words = [_classify(word) for word in cell.split()]
            named = [info is not None and (info.first or info.last) and info.word < COMMON for _, _, info, _ in words]
            info = words[0][2]
            first = info is not None and 0 < info.first <= 2000 and info.word < WORDLIKE
            if not (first or len(words) >= 2 and all(named)):
                continue
        yield start, end


@dataclass(frozen=True)
class Names:
    kind: str = "person"
    reads: str = "text"

    def find(self, text: str, deadline: float | None) -> Iterator[tuple[int, int]]:
        try:
            name_list()
        except NameListUnavailable as error:  # fail closed: the request is handled as unscanned (strict)
            raise ScanTimeout(f"person names cannot be recognised: {error}") from error
        yield from Scan(text, deadline).people()
        yield from _column_names(text, deadline)


PERSON = Names()
