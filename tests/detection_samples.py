"""Values nobody here wrote, for measuring the recognisers: Faker (fixed seed) makes IBANs, cards,
phones, e-mails, Spanish DNI/NIE, names and street addresses in six locales, each placed in an
ordinary sentence of the locale's language; and clean business paragraphs (dates, order numbers,
amounts, times, cities, companies, products) that hold none of them. Used by
scripts/bench_detection.py and tests/test_detection_recall.py."""

from __future__ import annotations

import random

from faker import Faker

LOCALES = ("es_ES", "en_US", "en_GB", "de_DE", "fr_FR", "it_IT")
CARD_TYPES = ("maestro", "mastercard", "visa16", "visa13", "visa19", "amex", "discover", "diners", "jcb15",
              "jcb16", "visa", "jcb")
KINDS = ("iban", "credit_card", "phone", "email", "es_dni", "es_nie", "person", "address")

# One sentence per kind and language; {v} is the value.
TEMPLATES = {
    "es": {"iban": "Por favor, haz la transferencia a la cuenta {v} antes del viernes.",
           "credit_card": "He pagado con la tarjeta {v}, ¿puedes comprobar el cargo?",
           "phone": "Llámame al {v} cuando tengas un momento.",
           "email": "Mi correo es {v}, escríbeme allí.",
           "es_dni": "Mi DNI es {v} y lo necesito para el contrato.",
           "es_nie": "El NIE del nuevo empleado es {v}.",
           "person": "Ayer hablé con {v} sobre la renovación del contrato.",
           "address": "Envía el paquete a {v} lo antes posible."},
    "en": {"iban": "Please wire the deposit to {v} before Friday.",
           "credit_card": "I paid with card {v}, can you check the charge?",
           "phone": "Call me on {v} when you have a moment.",
           "email": "My email is {v}, write to me there.",
           "es_dni": "My Spanish ID number is {v} for the contract.",
           "es_nie": "The new hire's NIE is {v}.",
           "person": "Yesterday I spoke with {v} about renewing the contract.",
           "address": "Please ship the parcel to {v} as soon as possible."},
    "de": {"iban": "Bitte überweise die Anzahlung bis Freitag auf {v}.",
           "credit_card": "Ich habe mit der Karte {v} bezahlt, kannst du die Buchung prüfen?",
           "phone": "Ruf mich unter {v} an, wenn du Zeit hast.",
           "email": "Meine E-Mail-Adresse ist {v}, schreib mir dorthin.",
           "es_dni": "Meine spanische Ausweisnummer ist {v}.",
           "es_nie": "Die NIE des neuen Mitarbeiters lautet {v}.",
           "person": "Gestern habe ich mit {v} über die Vertragsverlängerung gesprochen.",
           "address": "Schick das Paket bitte an {v} so schnell wie möglich."},
    "fr": {"iban": "Merci de virer l'acompte sur {v} avant vendredi.",
           "credit_card": "J'ai payé avec la carte {v}, peux-tu vérifier le débit ?",
           "phone": "Appelle-moi au {v} quand tu as un moment.",
           "email": "Mon adresse e-mail est {v}, écris-moi là.",
           "es_dni": "Mon numéro DNI espagnol est {v}.",
           "es_nie": "Le NIE du nouvel employé est {v}.",
           "person": "Hier, j'ai parlé avec {v} du renouvellement du contrat.",
           "address": "Envoie le colis à {v} dès que possible."},
    "it": {"iban": "Per favore, fai il bonifico su {v} entro venerdì.",
           "credit_card": "Ho pagato con la carta {v}, puoi controllare l'addebito?",
           "phone": "Chiamami al {v} quando hai un momento.",
           "email": "La mia email è {v}, scrivimi lì.",
           "es_dni": "Il mio DNI spagnolo è {v}.",
           "es_nie": "Il NIE del nuovo dipendente è {v}.",
           "person": "Ieri ho parlato con {v} del rinnovo del contratto.",
           "address": "Spedisci il pacco a {v} il prima possibile."},
}
CLEAN = {
    "es": ("Pedido {order} por {amount} enviado desde {city} el {date} a las {time} por {company}; "
           "el {product} vuelve a estar disponible."),
    "en": ("Order {order} for {amount} shipped from {city} on {date} at {time} by {company}; "
           "the {product} is back in stock."),
    "de": ("Bestellung {order} über {amount} am {date} um {time} aus {city} von {company} versandt; "
           "der {product} ist wieder lieferbar."),
    "fr": ("Commande {order} de {amount} expédiée de {city} le {date} à {time} par {company} ; "
           "le {product} est de nouveau en stock."),
    "it": ("Ordine {order} di {amount} spedito da {city} il {date} alle {time} da {company}; "
           "il {product} è di nuovo disponibile."),
}
PRODUCTS = ("Model X200 Pro", "Galaxy Tab S9", "ThinkPad X1 Carbon", "AirPods Pro 2", "Kindle Paperwhite",
            "Roomba j7", "Surface Laptop 5", "Pixel 8a", "Nespresso Vertuo Next", "Dyson V15 Detect")


def value(faker: Faker, kind: str, index: int) -> str:
    if kind == "credit_card":
        return faker.credit_card_number(card_type=CARD_TYPES[index % len(CARD_TYPES)])
    if kind in ("es_dni", "es_nie"):
        spanish = Faker("es_ES")
        spanish.seed_instance(faker.random.randint(0, 10**9))
        return spanish.nif() if kind == "es_dni" else spanish.nie()
    if kind == "address":
        return faker.address().replace("\n", ", ")
    return {"iban": faker.iban, "phone": faker.phone_number, "email": faker.email, "person": faker.name}[kind]()


def sentences(per_kind: int, seed: int = 32, kinds: tuple[str, ...] = KINDS) -> list[tuple[str, str, str, str]]:
    """(kind, locale, value, sentence) for `per_kind` values of each kind in each locale."""
    out = []
    for locale in LOCALES:
        faker = Faker(locale)
        faker.seed_instance(seed)
        for kind in kinds:
            for index in range(per_kind):
                found = value(faker, kind, index)
                out.append((kind, locale, found, TEMPLATES[locale[:2]][kind].format(v=found)))
    return out


def city(faker: Faker) -> str:
    """faker.city(), the same for every run: it_IT builds its list of cities from a set (hash order)."""
    for provider in faker.factories[0].get_providers():
        listed = getattr(provider, "cities", None)
        if isinstance(listed, list):
            return faker.random_element(sorted(listed))
    return faker.city()


def clean_paragraphs(per_locale: int, seed: int = 32) -> list[tuple[str, str]]:
    """(locale, paragraph): business prose with dates, order numbers, amounts, cities, companies."""
    out = []
    pick = random.Random(seed)
    for locale in LOCALES:
        faker = Faker(locale)
        faker.seed_instance(seed)
        for _ in range(per_locale):
            facts = CLEAN[locale[:2]].format(
                order=pick.choice([f"#{pick.randint(10000, 999999)}", f"PO-{pick.randint(1000, 99999)}",
                                   str(pick.randint(100000, 99999999))]),
                amount=pick.choice([f"{pick.randint(1, 9999)},{pick.randint(0, 99):02d} €",
                                    f"${pick.randint(1, 99999):,}.{pick.randint(0, 99):02d}",
                                    f"£{pick.randint(1, 9999)}"]),
                city=city(faker), date=pick.choice([faker.date(), faker.date(pattern="%d/%m/%Y"),
                                                     faker.date(pattern="%d.%m.%Y"), faker.date(pattern="%B %d, %Y")]),
                time=faker.time(pattern="%H:%M"), company=faker.company(), product=pick.choice(PRODUCTS))
            out.append((locale, f"{faker.paragraph(nb_sentences=3)} {facts}"))
    return out
