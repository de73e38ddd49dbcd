"""Street addresses by the shape they are written in: a street type and a house number, per language.

A street type word alone ("Plaza Mayor", "Park") or a city alone is not an address: the house number
(or a flat / postcode) is what makes it one. Street types: USPS Publication 28 suffixes and British
ones (number first: "268 Cooper Crest", "Flat 4, Lynda Meadows"); Spanish and Italian types (type
first, number after: "Glorieta Feliciano Ureña 65", "Vicolo Tarchetti, 49"); French ("5, avenue
Samson", "rue de Maury 7"); German and Dutch compounds ("Drubinstraße 47-26", "Keizersgracht 123") and
types written apart ("Paretzer Straße 365"), streets named with a preposition ("An der Heide 1171");
Catalan, Galician, Portuguese and Basque types ("Carrer de Mallorca, 401", "Rúa do Vilar, 35", "Kale
Nagusia 14"). Types that mean nothing but a street are read in any case, so lower-case chat ("ok apunta
calle sorolla, 459") is read too; ambiguous ones ("via", "place", "route") need a capitalised name.
A cell of a table under an address column's header ("address", "dirección", "Anschrift") that holds a
word and a number is one too, whatever its street looks like ("Damrak 1").
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import regex

from plugins.policy.deadline import finditer
from plugins.policy.recognisers.columns import cells_under

CAP = r"\p{Lu}[\p{L}'’.-]{0,40}"  # a capitalised word of a street name
NUMBER = r"\d{1,5}(?:\s?[A-Za-z](?![\p{L}]))?(?:\s?[-/]\s?\d{1,5}[A-Za-z]?)?"  # 12, 12a, 47-26, 49/98
# USPS Publication 28 street suffixes (common and abbreviated forms) and British street types.
USPS = ("Alley|Allee|Aly|Annex|Arcade|Avenue|Ave|Av|Bayou|Beach|Bend|Bluffs?|Bottom|Boulevard|Blvd|Branch|Bridge|"
        "Brooks?|Burgs?|Bypass|Camp|Canyon|Cape|Causeway|Centers?|Centre|Circles?|Cir|Cliffs?|Close|Club|Common|"
        "Corners?|Course|Courts?|Ct|Coves?|Creek|Crescent|Cres|Crest|Crossing|Crossroad|Curve|Dale|Dam|Divide|"
        "Drives?|Dr|Estates?|Expressway|Extensions?|Falls?|Ferry|Fields?|Flats?|Fords?|Forest|Forge|Forks?|Fort|"
        "Freeway|Gardens?|Gateway|Glen|Glens|Green|Greens|Grove|Groves|Harbors?|Haven|Heights|Highway|Hwy|Hills?|"
        "Hollow|Inlet|Islands?|Isle|Junctions?|Keys?|Knolls?|Lakes?|Land|Landing|Lane|Ln|Light|Lights|Loaf|Locks?|"
        "Lodge|Loop|Mall|Manor|Manors|Meadows?|Mews|Mills?|Mission|Motorway|Mount|Mountain|Mountains|Neck|Orchard|"
        "Oval|Overpass|Parade|Park|Parks|Parkway|Pkwy|Pass|Passage|Path|Pike|Pines?|Place|Pl|Plains?|Plaza|Points?|"
        "Ports?|Prairie|Radial|Ramp|Ranch|Rapids?|Rest|Ridges?|Rise|River|Road|Rd|Roads|Route|Row|Rue|Run|Shoals?|"
        "Shores?|Skyway|Springs?|Spurs?|Squares?|Sq|Station|Stravenue|Stream|Streets?|St|Summit|Terrace|Ter|"
        "Throughway|Trace|Track|Trafficway|Trail|Trailer|Tunnel|Turnpike|Underpass|Unions?|Valleys?|Viaduct|Views?|"
        "Villages?|Ville|Vista|Walks?|Wall|Way|Ways|Wells?|Wharf|Wynd|Yard|"
        # British ones USPS lacks
        "Quay|Croft|Gate|Chase|Mead|Garth|Fold|Brae|Vale|Approach|Circus|Cottages|Drove|Dene|Leys|Embankment")
ROMANCE = ("Calle|C/|C\\.|Avda\\.?|Av\\.?|Avenida|Carrer|Avinguda|Passeig|Plaça|Travessera|Rúa|Rua|Travessa|Praça|"
           "Estrada|Avenue|Venelle|Ruelle|Kalea|Etorbidea|Plaza|Praza|Camiño|Rolda|Praceta|Azinhaga|Rotunda|Gran\\s+Vía|Gran\\s+Via|Ronda|Calçada|Beco|Alameda|Glorieta|Paseo|Plaza|Pza\\.?|Camino|Ronda|Rambla|Cañada|Pasaje|Pasadizo|"
           "Callejón|Alameda|Acceso|Cuesta|Urbanización|Urb\\.|Travesía|Carretera|Ctra\\.|Vial|Via|Vía|Viale|"
           "Piazza|Piazzale|Corso|Largo|Vicolo|Strada|Borgo|Contrada|Rotonda|Stretto|Canale|Incrocio|Lungomare|"
           "Salita|Traversa|Rue|Avenue|Boulevard|Bd|Chemin|Impasse|Place|Allée|Quai|Route|Cours|Passage|Square|"
           "Sentier|Voie")
FRENCH = ("rue|avenue|av\\.|boulevard|bd|chemin|impasse|place|allée|allee|quai|route|cours|passage|square|sentier|"
          "voie|venelle|ruelle|rond-point|esplanade|promenade|faubourg|cité|villa|hameau|lieu-dit|montée|parvis")
GERMAN = ("straße|strasse|str\\.|weg|platz|allee|ring|gasse|damm|ufer|chaussee|steig|pfad|markt|stieg|zeile|hof|"
          "straat|laan|plein|gracht|kade|singel|dijk|steeg|dreef|hof|park|weg")  # German and Dutch compounds
ANY = r"[\p{L}][\p{L}'’.-]{0,40}"  # a word of a street name in any case (chat, transcripts)
LOWER = r"\p{Ll}[\p{L}'’.-]{0,40}"  # words bounded: a 1 MB "a.a.a..." is read in linear time
# Street types that mean nothing else, in any case (es, ca, gl, pt, eu, it, fr).
UNAMBIGUOUS = ("calle|c/|avda|avenida|av|carrer|avinguda|passeig|plaça|travessera|rúa|rua|travessa|praça|paseo|"
               "glorieta|rambla|carretera|ctra|urbanización|urb|callejón|kalea|kale|etorbidea|viale|piazza|piazzale|"
               "vicolo|lungomare|rue|allée|boulevard|impasse|venelle|ruelle|calçada|estrada|gran\\s+v[ií]a|plaza|pza|"
               "hiribidea|pasealekua|zumarkalea|enparantza|praza|camiño|praceta|azinhaga|rolda")
ENGLISH = ("street|road|avenue|lane|drive|boulevard|crescent|terrace|close|gardens|square|grove|mews|parkway|"
           "walk|parade|quay|croft|wharf|st\\.|rd\\.|st|rd|ave|blvd|pkwy|hwy|ln")
APART = ("straße|strasse|str\\.|allee|weg|platz|ring|gasse|damm|chaussee|ufer|kalea|etorbidea|straat|laan|plein|kade|"
         "plaza|hiribidea|pasealekua|zumarkalea|enparantza|errepidea|bidea")  # German, Dutch, Basque
COMPOUND = "straße|strasse|str\\.|straat|gracht|gasse|allee|laan|plein|kade|singel|dijk|weg|platz"
# A label that only an address follows, in a form or a message: the street after it needs no type word.
ADDRESS_LABEL = (r"(?i:address|addr|dirección|direccion|domicilio(?:\s+fiscal)?|adresse|adres|indirizzo|anschrift|"
                 r"wohnort|lieferadresse|morada|endereço|endereco|helbidea|adreça|ship\s+to|deliver\s+to|office|"
                 r"oficina|sede|büro|bureau|ufficio|kantoor|location|ubicación|localização|visit\s+us\s+at)")
# Months, days and words of time or of a document after "am", "im", "in der" (whole words: "Am Markt 3" is a
# street, "Am März 3", "Im Kapitel 3" are not).
NOT_A_STREET = ("jan|january|januar|janvier|feb|february|februar|mar|march|marzo|mars|märz|apr|april|abril|aprile|"
                "avril|may|mai|mayo|maggio|jun|june|juni|junio|giugno|juin|jul|july|juli|julio|luglio|juillet|aug|"
                "august|agosto|août|sep|sept|september|septiembre|settembre|septembre|oct|october|oktober|octubre|"
                "ottobre|octobre|nov|november|noviembre|novembre|dec|december|dezember|diciembre|dicembre|"
                "décembre|enero|gennaio|montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag|wochenende|"
                "morgen|abend|ende|anfang|tag|jahr|monat|woche|kapitel|abschnitt|schritt|teil|punkt|version|zeile|"
                "raum|bereich|fall|moment|level|stufe|absatz|anhang|artikel|paragraph|seite|spalte|feld|test|"
                "durchschnitt|vergleich|schnitt|minute|stunde")
PREPOSITION = (r"(?:(?i:an\s+der|an\s+den|(?<!\b[Ii]\s)am(?!\s+(?i:at|in|on|the|a|an|not|so|very|going|just|still|"
               r"also|now|here|there|trying|working|looking|sure|happy|sorry|glad|done|back|off|out)\b)|"
               r"auf\s+der|auf\s+dem|unter\s+den|hinter\s+der|vor\s+dem|op\s+de|aan\s+de)|"
               r"In\s+der|In\s+den|Im|Zum|Zur|Beim)")  # "in der", "im": running prose, any case
# \s+ (not " "): the pattern is VERBOSE
OF = r"(?:(?:de|del|de\s+la|de\s+los|de\s+las|dei|degli|della|delle|di|da|du|des|do|dos|das|de\s+l'|d'|l')\s*)"

POSTCODE_GB = r"[A-Z]{1,2}\d[A-Z\d]?\x20?\d[A-Z]{2}(?![\p{L}\d])"  # outward and inward code: "LE65 1AB"
UK_POSTCODE = rf"(?-i:{POSTCODE_GB})"
UK_POSTCODE_ANY_CASE = rf"(?i:{POSTCODE_GB})"

ADDRESS_PATTERN = regex.compile(rf"""
    (?<![\p{{L}}\d])(?:
      # number first: "268 Cooper Crest", "Flat 4, Lynda Meadows", "Apt 5 Park Road"
      (?:(?:Flat|Apartment|Apt\.?|Studio|Unit|Suite)\s+\w{{1,5}},?\s+(?:\d{{1,5}}\s+)?|\d{{1,6}}[A-Za-z]?,?\s+)
        (?:{CAP}\s+){{1,3}}(?:{USPS})\.?(?![\p{{L}}])
    | # French, number first: "5, avenue Samson", "12 bis rue de la Paix"
      \d{{1,4}}(?:\s?(?:bis|ter))?,?\s+(?:{FRENCH})\s+{OF}?\p{{Lu}}[\p{{L}}'’-]*(?:\s+{CAP}){{0,3}}
    | # type first, number after: "Glorieta Feliciano Ureña 65", "Vicolo Tarchetti, 49", "Via de Ana Sofía 46"
      (?:{ROMANCE})\s+{OF}?\p{{Lu}}[\p{{L}}'’.-]*(?:\s+(?:{OF})?{CAP}){{0,4}},?\s+(?:n[º°o.]\s*)?{NUMBER}(?![\d.,]\d)
    | # a street with no number but a postcode: "rue de Lemaire, 66862 Duhamel"
      (?:{FRENCH}|{ROMANCE})\s+{OF}?\p{{Lu}}[\p{{L}}'’.-]*(?:\s+(?:{OF})?{CAP}){{0,4}},\s+\d{{5}}\s+\p{{Lu}}
    | # US military mail: "USS Horn, FPO AE 87025", "Unit 2557 Box 6316, DPO AP 51791"
      (?:(?:USNS|USNV|USCGC|USS)\s+{CAP}|(?:Unit|PSC)\s+\d{{4}},?\s+Box\s+\d{{4}}),\s+[ADF]PO\s+A[AEP]\s+\d{{5}}
    | # German compounds: "Drubinstraße 47-26", "Andrej-Seip-Weg 6", "Am Markt 3" not needed
      \p{{Lu}}[\p{{L}}-]*(?i:{GERMAN})\s+{NUMBER}(?![\d.,:]\d)
    | # Street name then type: "Jones Light 17"? (English type after name, number after: British style)
      (?:{CAP}\s+){{1,3}}(?:Street|Road|Lane|Avenue|Drive|Close|Crescent|Way)\s+\d{{1,4}}(?![\d.,:]\d)
    | # any case, a type that is only ever a street, then its name and number: "calle sorolla, 459",
      # "rúa da cantareliña, 573", "Av de los Reyes Católicos, 44", "kale nagusia 14"
      (?i:{UNAMBIGUOUS})\.?\s+{OF}?{ANY}(?:\s+(?:{OF})?{ANY}){{0,4}},?\s+(?:n[º°o.]\s*)?{NUMBER}(?![\d.,]\d)
    | (?i:gran\s+v[ií]a),?\s+{NUMBER}(?![\d.,]\d)  # "gran vía 38": the type is the name
    | # any case, number first, then such a type: "657 Allée Lamartine", "971 venelle du tir", "10 downing street"
      \d{{1,4}}(?:\s?(?:bis|ter))?,?\s+(?i:{FRENCH})\s+{OF}?{ANY}(?:\s+(?:{OF})?{ANY}){{0,3}}
    | \d{{1,5}}[A-Za-z]?,?\s+(?:{ANY}\s+){{1,3}}(?i:{ENGLISH})(?![\p{{L}}])
    | # name, then a type written apart: "Paretzer Straße 365", "Berliner Allee 12", "Nagusia kalea 14"
      (?:{CAP}\s+){{1,2}}(?i:{APART})\s+{NUMBER}(?![\d.,:]\d)
    | (?:{LOWER}\s+){{1,2}}(?:straße|strasse|allee|kalea|etorbidea|hiribidea|pasealekua|zumarkalea|straat)
        \s+{NUMBER}(?![\d.,:]\d)
    | # German and Dutch streets named with a preposition: "An der Heide 1171", "Unter den Linden 77"
      {PREPOSITION}\s+(?!(?i:{NOT_A_STREET})\b)(?!\p{{L}}*(?i:{COMPOUND})\b){ANY}(?:[ -]{ANY})?
        \s+(?!(?:19|20)\d\d(?!\d)){NUMBER}(?![\d.,:]\d)
    | # a street with no type word, then a postcode and a city: "Lange Voorhout 34, 2514 EE Den Haag"
      (?:{CAP}\s+){{1,3}}{NUMBER},\s*(?:\d{{4}}\s?[A-Z]{{2}}|\d{{5}})\s+\p{{Lu}}\p{{L}}{{1,40}}(?:\s+\p{{Lu}}\p{{L}}{{1,40}})?
    | # a line that ends in a British postcode (outward and inward code): "The Old Rectory, Church Lane, Ashby LE65 1AB"
      (?:[\p{{L}}\d'’.\-\x20]{{1,40}},\s*){{0,3}}\p{{Lu}}[\p{{L}}'’.\-\x20]{{1,40}}\s{UK_POSTCODE}
    | # after an address label, any street and its number: "Adres: Neude 11", "address: damrak 1"
      (?<={ADDRESS_LABEL}(?:\s*[:：]\s*|[\x20\t]*\n\s*)){ANY}(?:\s+{ANY}){{0,3}},?\s+{NUMBER}(?![\d.,:]\d)
    | # Dutch, type first ("Laan van Meerdervoort 53") or an adjective before the name ("Grote Markt 2")
      (?:Laan|Plein|Kade|Singel|Dijk|Weg|Straat|Burgwal)\s+(?:van|op|aan|bij)\s+(?:de[nr]?\s+|het\s+|'t\s+)?{CAP}
        (?:\s+{CAP}){{0,2}}\s+{NUMBER}(?![\d.,:]\d)
    | (?:Grote|Kleine|Lange|Korte|Nieuwe|Oude|Hoge|Lage|Achter|Binnen|Buiten|Noorder|Zuider|Ooster|Wester)\s+{CAP}
        \s+{NUMBER}(?![\d.,:]\d)
    | # a British house's name before its street: "The Coach House, Mill Road", "Rose Cottage, Bury Lane"
      (?:The\s+)?(?:{CAP}\s+){{0,2}}(?:House|Cottage|Cottages|Farm|Farmhouse|Lodge|Barn|Hall|Manor|Mill|Rectory|
        Vicarage|Grange|Mansions|Chambers)\s*,\s+(?:{CAP}\s+){{1,3}}(?:{USPS})(?![\p{{L}}])
    | # compounds in any case: "keizersgracht 123", "friedrichstraße 43"
      \p{{L}}[\p{{L}}-]*(?i:{COMPOUND})\s+{NUMBER}(?![\d.,:]\d)
    )""", regex.V1 | regex.VERBOSE)
# Where a place follows in a message ("meet me at", "te espero en", "bin gerade in der", "je suis au"): after
# it, a few words and a house number are a street, whatever its case or type word ("drop it at damrak 1").
WHERE = regex.compile(r"""(?ix)(?<![\p{L}])(?:
    meet\s+(?:me|us)\s+(?:at|outside|by|in\s+front\s+of)|i'?m\s+at|i\s+am\s+at|we'?re\s+at|
    (?:drop|bring|take|send|ship|deliver|post|mail|courier)(?:\s+(?:it|them|this|that|these|those|me|us|him|her))?
      (?:\s+(?:off|over|round|back))?\s+(?:at|to)|come\s+(?:over\s+|round\s+)?to|pick\s+(?:me|it|them|us)\s+up\s+(?:at|from)|
    (?:live|lives|living|staying|moved|moving)\s+(?:at|to)|
    (?:te|os|les)\s+espero\s+en|(?:estoy|estamos|vivo|vive|vivimos)\s+en|nos\s+vemos\s+en|quedamos\s+en|
    (?:pasa|paso|p[aá]sate|pasar[eé])\s+por|ven(?:id)?\s+a|
    (?:m[aá]nd|env[ií]|ll[eé]v|tra|dej)[aeé](?:lo|la|los|las|me|nos)?(?:\s+\p{L}+){0,2}\s+(?:a|al|en)|
    lo\s+dej[eé]\s+en|
    (?:bin|sind|wohne|wohnt|wohnen)\s+(?:gerade\s+|jetzt\s+)?(?:in\s+der|im|am|an\s+der|in)|
    treffen\s+uns\s+(?:in\s+der|im|am|an\s+der|vor\s+der)|
    je\s+suis\s+(?:au|à|a)|(?:rendez-vous|rdv|on\s+se\s+voit)\s+(?:au|à)|j'habite\s+(?:au|à)|
    (?:sono|siamo|abito)\s+in|ci\s+vediamo\s+in|(?:passa|vieni)\s+(?:da|in|a)|
    (?:estou|moro|estamos)\s+(?:na|no|em)|(?:s[oó]c|som|visc)\s+a|(?:ik\s+ben|we\s+zijn|woon)\s+(?:op|in|aan|bij)
    )\s+(?:(?:the|la|el|der|die|le|il|a|o)\s+)?""")
WHERE_STREET = regex.compile(rf"(?P<postcode>(?:\d{{1,5}}[a-z]?\s+)?(?:{ANY}[\s,]+){{0,6}}?{ANY}\s+"
                             rf"{UK_POSTCODE_ANY_CASE})|"
                             rf"(?:{ANY}\s+){{0,4}}{ANY},?\s+{NUMBER}(?!\d)(?![.,:]\d)(?!\s*[%°€$£])"
                             r"(?!\s*(?:[ap]\.?m|h|hrs?|hours?|min|mins|minutes?|minutos|horas?|uhr|heures?|ore|km|mi|m|"
                             r"days?|weeks?|months?|years?|d[ií]as?|semanas?|mes(?:es)?|años?|tage?n?|wochen?|monate?|"
                             r"jahren?|jours?|semaines?|mois|ans|giorni|settimane|mesi|anni|dagen|weken|maanden|jaar|"
                             r"people|persons?|personas|personnes|persone|pessoas|times|veces|mal|fois|volte|vezes|keer|"
                             r"euros?|dollars?|pounds?|eur|usd|gbp|items?|pages?|copies|units?)\b)")
# ... but not a room, a gate, a floor or a page ("meet me at gate 5", "estoy en la planta 2"), nor a time, a
# quantity or a person ("bring it to the meeting at 3", "send it to me in 2 days", "en el bar a las 6").
NOT_IN_STREET = frozenset("""
at in on by for until till around about after before from with within me us him her them you it everyone las alle
um às as hasta desde para por sobre hacia bis ab vers dès verso entro dopo then and or y und et ou
gate room floor level platform terminal table desk stage hall booth aisle row seat door exit entrance page line step
slide section chapter building block lab office suite unit box pier dock bay zone area track round version episode
season lesson task ticket item question minute hour sala planta puerta andén anden aula mesa piso despacho módulo modulo
nave capítulo capitulo paso página pagina tema lección leccion salle étage etage porte bureau chapitre stanza piano
porta binario ufficio capitolo raum tür gleis halle büro zimmer tisch bahnsteig kapitel seite kamer verdieping
poort perron lokaal hoofdstuk
""".split())

# English -ring words are not German streets ("Spring 2025", "Monitoring 3").
NOT_GERMAN_STREET = regex.compile(r"(?i)(?:[aeiouy]ring|spring|string|offering)\s")


# Table headers (case, spaces, "_", "-" and "." removed) of columns that hold street addresses.
ADDRESS_COLUMNS = frozenset("""
address addr address1 addressline1 addressline streetaddress street shipto shippingaddress billingaddress
deliveryaddress homeaddress postaladdress mailingaddress dirección direccion domicilio domiciliofiscal calle
direcciónenvío direccionenvio adresse adressepostale rue indirizzo anschrift straße strasse adres straat
morada endereço endereco rua helbidea helbide adreça adreca
""".split())
CELL_ADDRESS = regex.compile(r"(?=.*\p{L}{3})(?=.*\d).{4,100}", regex.DOTALL)


@dataclass(frozen=True)
class Addresses:
    kind: str = "address"
    reads: str = "text"

    def find(self, text: str, deadline: float | None) -> Iterator[tuple[int, int]]:
        for match in finditer(ADDRESS_PATTERN, text, deadline):
            if NOT_GERMAN_STREET.match(match[0][:match[0].find(" ") + 1] if " " in match[0] else ""):
                continue
            yield match.span()
        for cue in finditer(WHERE, text, deadline):
            street = WHERE_STREET.match(text, cue.end())
            if street and (street["postcode"] or not any(  # words glued to digits are a postcode's ("1ab")
                    word.casefold() in NOT_IN_STREET for word in regex.findall(r"(?<!\d)\p{L}+(?!\d)", street[0]))):
                yield street.span()
        for start, end, _ in cells_under(text, ADDRESS_COLUMNS, deadline):
            if CELL_ADDRESS.fullmatch(text, start, end):
                yield start, end


ADDRESS = Addresses()
