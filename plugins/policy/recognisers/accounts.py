"""Bank accounts, passports and driving licences.

`bank_account`: the Spanish CCC (20 digits, two check digits: stdnum `es.ccc`), also as a transcript
keeps a Spanish IBAN when "E S" is misheard (the IBAN's two check digits, then the CCC); the US ABA
routing number (stdnum `us.rtn`, beside its keyword); and any account number written right after an
account keyword ("account number", "número de cuenta", "Kontonummer"...). `passport` and
`driving_licence` have no check digit anywhere: a number in their countries' shapes counts only right
after the document's name, in English, Spanish, German, French, Italian, Portuguese, Dutch or Polish.
Two licences say more: a UK DVLA number encodes its holder (surname, birth date, initials), so one whose
date exists counts bare; a French permis number (12 digits, or since 2013 two digits, two letters, five
digits) counts beside "permis" anywhere around it, as forms and CSV headers put it.

The rules and keyword shapes only: `national_ids.py` reads them in the same pass as the other identifiers.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from stdnum.es import ccc
from stdnum.us import rtn

from plugins.policy.recognisers.checked import Rule, Shapes, keywords, no_check
from plugins.policy.recognisers.ids import iban_valid

# Between a keyword and its value: punctuation, "number", "no.", "is", "de"... in any of the languages.
CONNECT = (r"(?:[\s:#.,;=()\[\]{}\"'’\-–—/°º*_]|(?:numbers?|num|nos?|nr|n|nummer|num[ée]ro|n[uú]mero|numer|is|ist|"
           r"es|est|è|é|era|was|of|de|du|del|da|do|della|di|van|my|mi|mio|mein|meine|mon|ma|the|el|la|le|il|o|a|your|"
           r"su|sua|seu|votre|ihre|lautet|porte|reads|id)(?![a-z])){0,14}?")
ACCOUNT_WORDS = keywords(r"bank\s?account", r"account[\s_\-]?(?:number|no|num|nr|#)", "acct",
                         r"checking(?:\s?account)?", r"savings\s?account", r"cuenta\s?(?:bancaria|corriente)",
                         r"n[uú]mero\s?de\s?cuenta", "ccc", r"c[oó]digo\s?cuenta\s?cliente", "kontonummer",
                         r"konto[\s\-]?nr", r"num[ée]ro\s?de\s?compte", r"numero\s?di\s?conto", r"conto\s?corrente",
                         r"n[uú]mero\s?da\s?conta", r"conta\s?banc[aá]ria", r"rekening\s?nummer", r"numer\s?konta")
PASSPORT_WORDS = keywords("passports?", "pasaportes?", r"reisepass(?:nummer)?", r"pass[\s\-]?(?:nr|nummer)",
                          "passeports?", "passaport[oi]", "passaportes?", r"paspoort(?:nummer)?", "paszport(?:u)?")
LICENCE_WORDS = keywords(r"driv(?:ing|ers?|er'?s)[\s\-]?licen[cs]es?", r"driving\s?permit",
                         r"dl(?=\s?(?:#|:|no\b|number))", r"licencia\s?de\s?conducir", r"carn[eé]t?\s?de\s?conducir",
                         r"permiso\s?de\s?conducir", r"f[üu]hrerschein(?:nummer)?", r"permis\s?de\s?conduire",
                         r"patente(?:\s?di\s?guida)?", r"carta\s?de\s?condu[cç][aã]o", r"rijbewijs(?:nummer)?",
                         r"prawo\s?jazdy")
ROUTING_WORDS = keywords("routing", "aba", "rtn", r"transit\s?number", r"n[uú]mero\s?de\s?ruta")
# "permis" alone, but not a building, residence, work, hunting or fishing permit.
PERMIS_WORDS = keywords(r"permis(?!\s?d[e']\s?(?:construire|s[ée]jour|travail|chasse|p[eê]che|am[ée]nager|d[ée]molir))")

# UK DVLA: surname (5, padded with 9), birth decade, month (+50 for women), day, year, two initials (padded
# with 9), a digit, two check characters; people add spaces after the surname and the date.
LICENCES = Shapes(r"(?=[a-z]{1,5}9{0,4} ?\d)", {
    "dvla": r"[a-z]{1,5}9{0,4} ?\d{6} ?[a-z][a-z9]\d[a-z0-9]{2}(?![0-9A-Za-z])",
})
DVLA = re.compile(r"[A-Z]{1,5}9{0,4}\d(?:0[1-9]|1[0-2]|5[1-9]|6[0-2])(?:0[1-9]|[12]\d|3[01])\d[A-Z][A-Z9]\d[A-Z0-9]{2}")

# Keywords and the value after them (national_ids.FAMILY reads them with the other shapes), looked for only
# in a reading holding one of the stems.
KEYWORDS = Shapes(r"(?=[a-z])", {
    "account": rf"{ACCOUNT_WORDS}{CONNECT}(?P<account_value>\d(?:[ \-]?\d){{5,16}})(?![ \-]?\d)(?![A-Za-z])",
    "passport": rf"{PASSPORT_WORDS}{CONNECT}(?P<passport_value>(?:[a-z]{{1,3}}[ \-](?=\d))?(?=[a-z]{{0,4}}\d)"
                r"[a-z0-9]{6,10})(?![0-9A-Za-z])",
    "licence": rf"{LICENCE_WORDS}{CONNECT}(?P<licence_value>(?=[a-z]{{0,8}}\d)[a-z0-9]{{1,20}}"
               r"(?:[ \-](?=[a-z]{0,8}\d)[a-z0-9]{1,20}){0,5})(?![0-9A-Za-z])",
}, stems=("account", "acct", "checking", "savings", "cuenta", "ccc", "conto", "conta", "konto", "konta", "compte",
          "rekening", "pas", "licen", "driv", "dl", "condu", "hrer", "permis", "patente", "rijbewijs", "jazdy"))


def ccc_valid(code: str) -> bool:
    """A Spanish CCC: stdnum's two check digits, and an entity code of a credit institution (0000-3999: banks,
    foreign banks, savings banks, credit cooperatives), which halves what random numbers pass."""
    return code[0] in "0123" and ccc.is_valid(code)


def ccc_in_iban(code: str) -> bool:
    """22 digits: a Spanish IBAN without its "ES" (its check digits, then a valid CCC)."""
    return ccc_valid(code[2:]) and iban_valid("ES" + code)


def routing_valid(code: str) -> bool:
    """ABA routing number: stdnum's check digit, and a Federal Reserve prefix (00-12, 21-32, 61-72, 80)."""
    prefix = int(code[:2])
    return rtn.is_valid(code) and (prefix <= 12 or 21 <= prefix <= 32 or 61 <= prefix <= 72 or prefix == 80)


def dvla_valid(code: str) -> bool:
    """A DVLA number whose surname is letters then 9s (five in all) and whose birth date could exist."""
    return DVLA.fullmatch(code) is not None


def digits_at_least(count: int, shortest: int, longest: int) -> Callable[[str], bool]:
    """A document number: `shortest` to `longest` characters, `count` of them digits, not one repeated."""
    def valid(code: str) -> bool:
        return shortest <= len(code) <= longest and sum(char.isdigit() for char in code) >= count \
            and len(set(code)) > 2
    return valid


BANK_ACCOUNT_RULES = (
    Rule("es_ccc", ccc_valid, length=20, bare=True),
    Rule("es_iban_without_es", ccc_in_iban, length=22, bare=True),
    Rule("us_routing", routing_valid, ROUTING_WORDS, length=9),
    Rule("after_account_word", digits_at_least(6, 6, 17), shape="account", bare=True),
)
PASSPORT_RULES = (Rule("after_passport_word", digits_at_least(4, 6, 10), shape="passport", bare=True),)
DRIVING_LICENCE_RULES = (
    Rule("after_licence_word", digits_at_least(4, 6, 20), shape="licence", bare=True),
    Rule("gb_dvla", dvla_valid, shape="dvla", length=16, bare=True),
    Rule("fr_permis", no_check, PERMIS_WORDS, length=12),
    Rule("fr_permis_2013", no_check, PERMIS_WORDS, shape="fr_permis"),
)
