"""Street addresses by the shape they are written in: a street type and a house number, per language.

A street type word alone ("Plaza Mayor", "Park") or a city alone is not an address: the house number
(or a flat / postcode) is what makes it one. Street types: USPS Publication 28 suffixes and British
ones (number first: "268 Cooper Crest", "Flat 4, Lynda Meadows"); Spanish and Italian types (type
first, number after: "Glorieta Feliciano Ureña 65", "Vicolo Tarchetti, 49"); French ("5, avenue
Samson", "rue de Maury 7"); German compounds ("Drubinstraße 47-26", "Andrej-Seip-Weg 6").
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import regex

from plugins.policy.deadline import finditer

CAP = r"\p{Lu}[\p{L}'’.-]*"  # a capitalised word of a street name
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
        "Villages?|Ville|Vista|Walks?|Wall|Way|Ways|Wells?|Wharf|Wynd|Yard")
ROMANCE = ("Calle|C/|C\\.|Avda\\.?|Avenida|Glorieta|Paseo|Plaza|Pza\\.?|Camino|Ronda|Rambla|Cañada|Pasaje|Pasadizo|"
           "Callejón|Alameda|Acceso|Cuesta|Urbanización|Urb\\.|Travesía|Carretera|Ctra\\.|Vial|Via|Vía|Viale|"
           "Piazza|Piazzale|Corso|Largo|Vicolo|Strada|Borgo|Contrada|Rotonda|Stretto|Canale|Incrocio|Lungomare|"
           "Salita|Traversa|Rue|Avenue|Boulevard|Bd|Chemin|Impasse|Place|Allée|Quai|Route|Cours|Passage|Square|"
           "Sentier|Voie")
FRENCH = "rue|avenue|av\\.|boulevard|bd|chemin|impasse|place|allée|quai|route|cours|passage|square|sentier|voie"
GERMAN = "straße|strasse|str\\.|weg|platz|allee|ring|gasse|damm|ufer|chaussee|steig|pfad|markt|stieg|zeile|hof"
OF = r"(?:(?:de|del|de\s+la|de\s+los|de\s+las|dei|degli|della|delle|di|da|du|des|de\s+l'|d'|l')\s*)"  # \s+: VERBOSE

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
    )""", regex.V1 | regex.VERBOSE)
# English -ring words are not German streets ("Spring 2025", "Monitoring 3").
NOT_GERMAN_STREET = regex.compile(r"(?i)(?:[aeiouy]ring|spring|string|offering)\s")


@dataclass(frozen=True)
class Addresses:
    kind: str = "address"
    reads: str = "text"

    def find(self, text: str, deadline: float | None) -> Iterator[tuple[int, int]]:
        for match in finditer(ADDRESS_PATTERN, text, deadline):
            if NOT_GERMAN_STREET.match(match[0][:match[0].find(" ") + 1] if " " in match[0] else ""):
                continue
            yield match.span()


ADDRESS = Addresses()
