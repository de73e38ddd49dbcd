"""Words around a number that say what it is: a number introduced as an order, invoice or reference
(or an amount) is not a phone or a card; one introduced as a phone is."""

from __future__ import annotations

import regex

PHONE_WORDS = regex.compile(
    r"\b(?:tel|tlf|telf|phone|phones|call|mobile|cell|fax|whats ?app|sms|móvil|movil|teléfono|telefono|llámame|"
    r"llamar|telefon|telefonnummer|handy|anruf|tél|téléphone|portable|appel|appeler|cellulare|chiamare|chiama|"
    r"contact)\b",
    regex.IGNORECASE,
)
REFERENCE_WORDS = regex.compile(
    r"(?:\b(?:order|invoice|ref|reference|no\.|nº|n°|#|id|account|ticket|tracking|serial|part|sku|isbn|pedido|factura|"
    r"referencia|expediente|rechnung|bestell|auftrag|kunden|commande|facture|ordine|fattura|riferimento|"
    r"zip|postcode|cp|plz|cap|total|amount|importe|betrag|montant|importo|eur|usd|gbp)|[#€$£])\W{0,3}$",
    regex.IGNORECASE,
)


# Words that introduce an identity, tax, health or account number (recognisers/national_ids.py, accounts.py):
# the number after them is that, not a phone.
IDENTITY_WORDS = regex.compile(
    r"\b(?:bsn|burgerservice\s?nummer|nif|nie|nir|nipc|contribuinte|nhs|aba|routing|pesel|steuer[\s-]?id\w*|idnr|"
    r"identifikationsnummer|ssn|itin|tin|iva|vat|tva|btw|ust[\s-]?idnr|passport|pasaporte|passeport|passaporto|"
    r"reisepass|licen[cs]e|carnet|permis|f[üu]hrerschein|codice\s?fiscale|national\s?insurance|ni\s?number|"
    r"social\s?security|seguridad\s?social|s[ée]curit[ée]\s?sociale|nss|naf|account|cuenta|konto|compte|conto|"
    r"ccc|iban|dni|cpf|id\s?number|identity)\b",
    regex.IGNORECASE,
)


def introduced_as_identity(before: str) -> bool:
    return IDENTITY_WORDS.search(before[-40:]) is not None


def introduced_as_phone(before: str) -> bool:
    return PHONE_WORDS.search(before[-30:]) is not None


def introduced_as_reference(before: str) -> bool:
    return REFERENCE_WORDS.search(before[-16:]) is not None
