"""National identity, tax and health numbers, validated by their check digits (python-stdnum).

A candidate is found by its shape (digits with the separators people write between them, or the code's
own letters and digits), and only then checked: stdnum's `is_valid`, and where that check passes too
often by chance to stand alone, the words around it. A bare 9-digit number passes a mod-11 test (BSN,
PT NIF, US routing number, NHS) one time in ten, an 11-digit one the PESEL test one time in fifty: such
a number counts only beside its keyword (`BSN`, `NIF`, `PESEL`, `routing number`...; any of the
gateway's languages, also as a field name: `nhs_number`, `routingNumber`) or written in its own layout
(NHS `943 476 5870`, SSN `536-90-4399`, Steuer-ID `36 574 261 809`). Codes whose check rarely passes
by chance count bare: codice fiscale, French NIR, UK National Insurance number (its prefix rules), EU
VAT numbers with their country prefix, the Spanish CCC. A UK VAT number (stdnum `gb.vat`, mod 97: about 3 %
pass by chance) counts with its `GB` (bare), and without it beside "VAT".

Kinds: `national_id` (FR NIR, IT codice fiscale and identity card, UK NINO, DE Steuer-ID, NL BSN,
PL PESEL, ES social-security number), `tax_id` (EU and UK VAT numbers, IT partita IVA, PT NIF, US ITIN),
`health_id` (UK NHS number), `us_ssn`, and with the rules of `accounts.py`, `bank_account`,
`passport` and `driving_licence`: one family (checked.Family), read in one pass.
"""

from __future__ import annotations

import phonenumbers
from stdnum.de import idnr
from stdnum.eu import vat
from stdnum.fr import nir
from stdnum.gb import nhs
from stdnum.gb import vat as gb_vat
from stdnum.it import codicefiscale, iva
from stdnum.nl import bsn
from stdnum.pl import pesel
from stdnum.pt import nif
from stdnum.us import itin, ssn

from plugins.policy.recognisers import accounts
from plugins.policy.recognisers.checked import DIGIT_RUN, SEPARATOR, Family, Rule, Shapes, keywords, no_check
from plugins.policy.recognisers.ids import iban_valid


def nss_valid(code: str) -> bool:
    """Spanish social-security number (número de afiliación): province (01-53, 66-99), 8 digits and two
    check digits, the remainder mod 97 of province and number read together (the number alone plus
    province x 10^7 when it is under 10^7). stdnum has no module for it."""
    if len(code) != 12 or not code.isdigit() or not (1 <= int(code[:2]) <= 53 or int(code[:2]) >= 66):
        return False
    province, number = int(code[:2]), int(code[2:10])
    joined = number + province * 10**7 if number < 10**7 else int(code[:10])
    return joined % 97 == int(code[10:])


def nir_valid(code: str) -> bool:
    """French NIR: a sex digit (1, 2; 7, 8 provisional), a birth month that exists (01-12, or 20-99 when
    unknown), a département, commune and serial that are not zero, and stdnum's key (mod 97)."""
    return code[0] in "1278" and code[5:7] != "00" and code[7:10] != "000" and code[10:13] != "000" \
        and (1 <= int(code[3:5]) <= 12 or int(code[3:5]) >= 20) and nir.is_valid(code)


def vat_valid(code: str) -> bool:
    """An EU VAT number with its country prefix (stdnum `eu.vat`), not the head of an IBAN."""
    return not iban_valid(code) and vat.is_valid(code)


def nhs_written(code: str) -> bool:
    """NHS numbers are written 3-3-4, as US phone numbers are: one that is also a valid US number needs
    the NHS keyword (looked for first: this runs only for the layout)."""
    return nhs.is_valid(code) and not phonenumbers.is_valid_number(phonenumbers.parse(code, "US"))


# Keywords, in the languages of the gateway's users (the readings give them upper-cased, "P.IVA" as "P IVA").
STEUER_ID = keywords(r"steuer[\s\-]?(?:id|idnr|identifikationsnummer|nummer|nr)", "idnr", "identifikationsnummer",
                     r"steuerliche\s?identifikationsnummer", r"tax[\s\-]?(?:id|identification)", "tin")
BSN_WORDS = keywords("bsn", r"burgerservice\s?nummer", r"sofi[\s\-]?nummer", r"citizen\s?service\s?number")
PESEL_WORDS = keywords("pesel")
NSS_WORDS = keywords(r"seguridad\s?social", r"seguretat\s?social", "nu?ss", "naf", r"afiliaci[oó]n",
                     r"social\s?security", r"s\.\s?s\.")
CIE_WORDS = keywords(r"carta\s?d.?identit[aà]", r"c\.?\s?i\.?(?:\s?e\.?)?", r"identity\s?card",
                     r"documento\s?d.?identit[aà]")
IVA_WORDS = keywords(r"partita\s?iva", r"p\.?\s?iva", "vat", r"p\.\s?i\.", r"codice\s?fiscale", r"c\.?\s?f\.?")
PT_NIF_WORDS = keywords("nif", "nipc", "contribuinte", r"identifica[cç][aã]o\s?fiscal")
ITIN_WORDS = keywords("itin", "taxpayer", "tin")
VAT_WORDS = keywords("vat", "ust", r"ust[\s\-]?idnr", "umsatzsteuer", "uid", "iva", "tva", "btw", "mwst", "nif", "cif",
                     "nipc", "nip", "di[cč]", "tax", r"intracomunitari[ao]", "intracommunautaire")
GB_VAT_WORDS = keywords("vat", r"value\s?added\s?tax")
NHS_WORDS = keywords("nhs", r"national\s?health", r"health\s?service")
SSN_WORDS = keywords("ssn", r"social\s?security", r"seguro\s?social")

_VAT_PREFIX = r"(?-i:AT|BE|BG|CY|CZ|DE|DK|EE|EL|ES|FI|FR|HR|HU|IE|IT|LT|LU|LV|MT|NL|PL|PT|RO|SE|SI|SK|XI)"
# Groups of capitals and digits, each holding a digit; bounded, so that a long run of them is read in linear time.
_VAT_BODY = r"(?-i:(?=[A-Z]{0,3}\d)[0-9A-Z]{1,14}(?:[ .\-](?=[A-Z]{0,3}\d)[0-9A-Z]{1,14}){0,3})(?![0-9A-Za-z])"
# Codes with letters, from the start of a word: a UK NINO before a VAT number of the same shape.
CODES = Shapes(r"(?=[a-z]{1,6}[ .\-]?\d)", {  # letters, then a digit: what the words of prose fail at once
    "codice_fiscale": r"[a-z]{6}\d\d[a-ehlmpr-t][0-9lmnp-v]{2}[a-z][0-9lmnp-v]{3}[a-z](?![0-9A-Za-z])",
    # HMRC: no D, F, I, Q, U or V; no O second; not BG, GB, KN, NK, NT, TN or ZZ; suffix A to D.
    "nino": r"(?!bg|gb|kn|nk|nt|tn|zz)[a-ceghj-pr-tw-z][a-ceghj-npr-tw-z][ .\-]?\d\d[ .\-]?\d\d[ .\-]?\d\d[ .\-]?[a-d]"
            r"(?![0-9A-Za-z])",
    "it_identity_card": r"ca ?\d{5} ?[a-z]{2}(?![0-9A-Za-z])",
    # UK VAT: GB, then 9 digits (3-4-2 as HMRC writes them) or 12 (a branch's three more).
    "gb_vat": r"(?-i:GB) ?\d{3} ?\d{4} ?\d\d(?: ?\d{3})?(?![0-9A-Za-z])",
    # Country prefix in capitals (lower-case "de", "es", "it" are words); joined to the number it counts
    # bare; spaced ("DE 136695976", also how "de 136695976" reads upper-cased) only beside a VAT word.
    "vat": _VAT_PREFIX + _VAT_BODY,
    "vat_spaced": _VAT_PREFIX + r"[ \-]" + _VAT_BODY,
})
NUMBERS = Shapes(r"(?=\d)", {
    # Corsica's NIR (département 2A/2B); every other NIR is a run of digits.
    "nir_corsica": rf"[1278](?:[ .]?\d){{4}}[ .]?2[ .]?[ab](?:[ .]?\d){{8}}(?![0-9A-Za-z])(?!{SEPARATOR}[0-9])",
    "fr_permis": r"\d\d[a-z]{2}\d{5}(?![0-9A-Za-z])",  # the French licence's number since 2013
    "digits": DIGIT_RUN,
})

RULES = {
    "national_id": (
        Rule("it_codice_fiscale", codicefiscale.is_valid, shape="codice_fiscale", bare=True),
        Rule("gb_nino", no_check, shape="nino", bare=True),
        Rule("fr_nir", nir_valid, length=15, bare=True),
        Rule("fr_nir_corsica", nir_valid, shape="nir_corsica", bare=True),
        Rule("it_identity_card", no_check, CIE_WORDS, shape="it_identity_card"),
        Rule("de_steuer_id", idnr.is_valid, STEUER_ID, length=11, layout=r"\d\d \d{3} \d{3} \d{3}"),
        Rule("pl_pesel", pesel.is_valid, PESEL_WORDS, length=11),
        Rule("nl_bsn", bsn.is_valid, BSN_WORDS, length=9, layout=r"\d{4}[ .]\d\d[ .]\d{3}"),
        Rule("es_nss", nss_valid, NSS_WORDS, length=12, layout=r"\d\d[ /\-]\d{8}[ /\-]\d\d"),
    ),
    "tax_id": (
        Rule("eu_vat", vat_valid, shape="vat", bare=True),
        Rule("eu_vat_spaced", vat_valid, VAT_WORDS, shape="vat_spaced"),
        Rule("gb_vat", gb_vat.is_valid, shape="gb_vat", bare=True),
        Rule("gb_vat_digits", gb_vat.is_valid, GB_VAT_WORDS, length=9),
        Rule("it_partita_iva", iva.is_valid, IVA_WORDS, length=11),
        Rule("pt_nif", nif.is_valid, PT_NIF_WORDS, length=9),
        Rule("us_itin", itin.is_valid, ITIN_WORDS, length=9, layout=r"\d{3}[ \-]\d\d[ \-]\d{4}"),
    ),
    "health_id": (
        Rule("gb_nhs", nhs.is_valid, NHS_WORDS, length=10),
        Rule("gb_nhs_written", nhs_written, length=10, layout=r"\d{3} \d{3} \d{4}"),
    ),
    "us_ssn": (
        Rule("us_ssn", ssn.is_valid, SSN_WORDS, length=9, layout=r"\d{3}([ \-])\d\d\1\d{4}"),
    ),
    "bank_account": accounts.BANK_ACCOUNT_RULES,
    "passport": accounts.PASSPORT_RULES,
    "driving_licence": accounts.DRIVING_LICENCE_RULES,
}
# DVLA licences before the other codes (a surname may start like a VAT prefix: DEANS...); keywords and their
# values before the digits they hold.
FAMILY = Family((accounts.LICENCES, CODES, accounts.KEYWORDS, NUMBERS), RULES)
NATIONAL_ID, TAX_ID, HEALTH_ID = (FAMILY.recogniser(kind) for kind in ("national_id", "tax_id", "health_id"))
US_SSN, BANK_ACCOUNT = FAMILY.recogniser("us_ssn"), FAMILY.recogniser("bank_account")
PASSPORT, DRIVING_LICENCE = FAMILY.recogniser("passport"), FAMILY.recogniser("driving_licence")
