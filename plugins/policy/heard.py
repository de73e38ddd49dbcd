"""What speech-to-text gets wrong in a dictated number, and the words that say what a long number is.

A transcript keeps an account or document number with a digit heard twice, dropped, or its "E S" heard
as "the SI": no checksum holds any more. Two readings make up for it: a Spanish IBAN one edit away from
valid (both its CCC control digits and its mod 97 must then hold: random digits pass once in 9,000 as
they stand, once in 430 with a digit taken out, once in 54 with one put back, and are tried only next to
banking words or a misheard "ES") is written out whole for the IBAN recogniser (`heard_ibans`), and a
long number next to banking or identity words is a value whatever its digits
(`recognisers/spoken_numbers.py`, through `near_account_words`).
"""

from __future__ import annotations

from collections.abc import Iterator

import regex

# Words that say a number nearby is a bank account or an identity document's (what the tolerant readings
# of speech look for: a long number heard next to them is one, whether or not its check digits survived);
# "Iber" is how Whisper hears "IBAN".
BANKING_WORDS = regex.compile(
    r"\b(?:iban|iber|bic|swift|account|acct|bank|banking|sort code|routing|card|debit|transfer|wire|cuenta|banco|"
    r"bancaria|tarjeta|transferencia|domiciliaci[oó]n|ccc|konto|bank ?verbindung|karte|[üu]berweisung|"
    r"bankleitzahl|blz|compte|banque|carte|virement|rib|conto|banca|carta|bonifico|compte bancari|targeta|"
    r"conta|banc|cartão|cart[aã]o|transfer[eê]ncia|rekening|rekeningnummer|kontonummer|numer konta|"
    r"kontu|txartel)\b", regex.IGNORECASE)
IDENTITY_WORDS = regex.compile(
    r"\b(?:dni|nie|nif|nss|ssn|passport|social security|national insurance|id number|identity|pasaporte|"
    r"seguridad social|documento|identidad|c[ée]dula|personalausweis|ausweis|reisepass|"
    r"sozialversicherung|steuer-?id|identifikationsnummer|passeport|carte d'identit[ée]|s[ée]curit[ée] sociale|"
    r"num[ée]ro fiscal|passaporto|carta d'identit[àa]|codice fiscale|tessera sanitaria|"
    r"seguran[çc]a social|bilhete de identidade|paspoort|burgerservicenummer|bsn|pesel|dowód|nortasun)\b",
    regex.IGNORECASE)
# "E S" (or "ES") right before the digits, or as speech-to-text hears it: "the SI", "S-I"; and, for an
# IBAN's exact length only, "es", "ese", "is".
HEARD_ES = regex.compile(r"(?:\b[Ee]\.? ?[Ss]\.?|\b[Tt]he S\.? ?I\.?|\bS\.? ?-? ?I\.?)\W{0,3}$")
LOOSE_ES = regex.compile(r"\b(?:es|ese|is|ess)\W{0,3}$", regex.IGNORECASE)
LONG_DIGITS = regex.compile(r"(?<!\d)\d(?:[ ,.\-]{0,2}\d){11,}(?!\d)")
CCC_WEIGHTS = (1, 2, 4, 8, 5, 10, 9, 7, 3, 6)


def near_account_words(text: str, start: int, end: int) -> str | None:
    """"banking" or "identity" when such words stand close to text[start:end] (60 characters before, 30
    after), else None."""
    around = text[max(0, start - 60):start] + " " + text[end:end + 30]
    if BANKING_WORDS.search(around) or HEARD_ES.search(text[max(0, start - 12):start]):
        return "banking"
    return "identity" if IDENTITY_WORDS.search(around) else None


def digit_count(text: str) -> int:
    """How many digits `text` holds (the cheap test before looking for long runs of them)."""
    return sum(text.count(digit) for digit in "0123456789")


def _control(digits: str) -> int:
    check = 11 - sum(int(digit) * weight for digit, weight in zip(digits, CCC_WEIGHTS, strict=True)) % 11
    return {11: 0, 10: 1}.get(check, check)


def spanish_account(digits: str) -> bool:
    """`digits` (22: an ES IBAN without "ES") pass both checks: the CCC's two control digits (bank and
    branch, then the account) and the IBAN's mod 97."""
    ccc = digits[2:]
    return (len(digits) == 22 and _control("00" + ccc[:8]) == int(ccc[8]) and _control(ccc[10:]) == int(ccc[9])
            and int(ccc + "1428" + digits[:2]) % 97 == 1)


def _one_edit_away(digits: str) -> Iterator[str]:
    if len(digits) == 22:
        yield digits
    elif len(digits) == 23:  # a digit heard twice or one inserted ("zero" in a pause)
        yield from (digits[:index] + digits[index + 1:] for index in range(23))
    elif len(digits) == 21:  # a digit dropped
        yield from (digits[:index] + digit + digits[index:] for index in range(22) for digit in "0123456789")


def heard_ibans(texts: list[str]) -> str | None:
    """The Spanish IBANs speech-to-text heard nearly right: 21 to 23 digits next to banking words or a
    misheard "ES" ("the SI 91 2100 ..."), that pass both the CCC's and the IBAN's checks as they are or
    after one digit is put back or taken out; written out whole ("ES91 2100 ...") for the IBAN recogniser."""
    found: list[str] = []
    for text in texts:
        for match in LONG_DIGITS.finditer(text) if digit_count(text) >= 21 else ():
            digits = regex.sub(r"\D", "", match.group(0))
            if not 21 <= len(digits) <= 23 or near_account_words(text, match.start(), match.end()) is None \
                    and not LOOSE_ES.search(text[max(0, match.start() - 12):match.start()]):
                continue
            found += ["ES" + fixed for fixed in dict.fromkeys(_one_edit_away(digits)) if spanish_account(fixed)][:1]
    return " ".join(found) or None
