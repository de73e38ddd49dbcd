"""Round 4 of the readings (issue 40): numbers dictated in eleven languages, spelling alphabets, compressed
and 8-bit base64, base64 in a URL path, JSON surrogate and slash escapes, bullets and every dash, characters
spaced out, and speech that lost its checksum. Each class is found (the right kind, by `find_sensitive`) and
kept off the Gemini emulator through the running gateway; clean prose, meeting transcripts, images and
compressed binaries raise nothing new; a compression bomb leaves the request unscanned (strict). All inputs
are fixed (seeded where random)."""

from __future__ import annotations

import base64
import gzip
import json
import random
import zlib

import pytest

from plugins.policy.deadline import ScanTimeout
from plugins.policy.detect import find_sensitive
from plugins.policy.spoken import dictated
from tests import media

IBAN = "ES9121000418450200051332"
IBAN_SPACED = "ES91 2100 0418 4502 0005 1332"
IBAN_WORDS = {
    "en": "nine one two one zero zero zero four one eight four five zero two zero zero zero five one three three two",
    "es": "nueve uno, dos uno cero cero, cero cuatro uno ocho, cuatro cinco cero dos, cero cero cero cinco, "
          "uno tres tres dos",
    "de": "neun eins zwei eins null null null vier eins acht vier fünf null zwei null null null fünf eins drei drei "
          "zwei",
    "it": "nove uno due uno zero zero zero quattro uno otto quattro cinque zero due zero zero zero cinque uno tre "
          "tre due",
}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(wbits=-15)
    return compressor.compress(data) + compressor.flush()


def surrogates(text: str) -> str:
    """`text` with its digits as mathematical bold digits, JSON-escaped as UTF-16 surrogate pairs."""
    bold = "".join(chr(0x1D7CE + int(char)) if char.isdigit() else char for char in text)
    return json.dumps(bold)[1:-1]


# (kind, text) per class: every variant is found on its own, and the class is sent through the gateway.
CLASSES: dict[str, list[tuple[str, str]]] = {
    "dictation": [
        ("phone", "Mi número: seis, doce, treinta y cuatro, cincuenta y seis, setenta y ocho."),
        ("phone", "My number is six one two, thirty-four, fifty-six, seventy-eight."),
        ("phone", "Ring me on oh seven seven double oh nine one one triple four."),
        ("phone", "El meu telèfon: sis, dotze, trenta-quatre, cinquanta-sis, setanta-vuit."),
        ("phone", "O meu teléfono: seis, doce, trinta e catro, cincuenta e seis, setenta e oito."),
        ("phone", "O meu telefone: seis, doze, trinta e quatro, cinquenta e seis, setenta e oito."),
        ("phone", "Nire telefonoa: sei, hamabi, hogeita hamalau, berrogeita hamasei, hirurogeita hemezortzi."),
        ("phone", "Mijn nummer: zes, twaalf, vierendertig, zesenvijftig, achtenzeventig."),
        ("phone", "Mon numéro : zéro six, douze, trente-quatre, cinquante-six, soixante-dix-huit."),
        ("phone", "Meine Nummer: sechs, zwölf, vierunddreißig, sechsundfünfzig, achtundsiebzig."),
        ("phone", "Il mio numero: sei, dodici, trentaquattro, cinquantasei, settantotto."),
        ("phone", "Mój numer: sześć, dwanaście, trzydzieści cztery, pięćdziesiąt sześć, siedemdziesiąt osiem."),
    ],
    "spelling alphabets": [
        ("iban", f"Echo Sierra {IBAN_WORDS['en']}"),
        ("iban", f"E de España, S de Sevilla, {IBAN_WORDS['es']}"),
        ("iban", f"Emil Siegfried {IBAN_WORDS['de']}"),
        ("iban", f"E wie Essen, S wie Salzwedel, {IBAN_WORDS['de']}"),
        ("iban", f"Empoli Savona {IBAN_WORDS['it']}"),
        ("iban", f"E come Empoli, S come Savona, {IBAN_WORDS['it']}"),
    ],
    "compressed base64": [
        ("iban", f"payload: {b64(gzip.compress(IBAN.encode()))}"),
        ("iban", f"payload: {b64(zlib.compress(f'cuenta {IBAN_SPACED}'.encode()))}"),
        ("iban", f"payload: {b64(deflate(f'cuenta {IBAN_SPACED}'.encode()))}"),
        ("email", f"H4sI log line: {b64(gzip.compress(json.dumps({'user': 'ana.garcia@example.org'}).encode()))}"),
    ],
    "8-bit base64": [
        ("iban", b64(f"Número de cuenta: {IBAN} (José Muñoz)".encode("latin-1"))),
        ("iban", b64(f"Überweisung — Konto {IBAN_SPACED} • Grüße".encode("cp1252"))),
    ],
    "base64 in a URL path": [
        ("iban", f"GET https://x.example/api/{base64.urlsafe_b64encode(IBAN_SPACED.encode()).decode()}/detail?x=1"),
        ("iban", f"see https://x.example/v1/files/{b64(IBAN.encode())}"),
        ("email", f"https://x.example/u/{b64(b'ana.garcia@example.org').rstrip('=')}?ref=mail"),
    ],
    "JSON escapes": [
        ("iban", f'{{"iban": "{surrogates(IBAN)}"}}'),
        ("phone", f'{{"tel": "+{surrogates("34 612 345 678")}"}}'),
        ("iban", r'{"iban": "ES91\/2100\/0418\/4502\/0005\/1332"}'),
        ("iban", r'{"iban": "ES91\\\/2100\\\/0418\\\/4502\\\/0005\\\/1332"}'),
    ],
    "bullets and dashes": [
        *[("iban", bullet.join(IBAN_SPACED.split())) for bullet in "•·‧∙●"],
        *[("phone", f"Tel. {dash.join(('612', '345', '678'))}") for dash in "–—‒−\u2011"],
        ("phone", "612–345–678"),
        ("phone", "+34 612 • 345 • 678"),
    ],
    "spaced out": [
        ("email", "a n a . g a r c i a @ e x a m p l e . o r g"),
        ("es_nie", "NIE X 1234567 L"),
        ("es_nie", "mi NIE: X 1 2 3 4 5 6 7 L"),
        ("es_dni", "DNI 1 2 3 4 5 6 7 8 Z"),
    ],
    "speech": [
        ("iban", "My IBAN is the SI 91 2100 0418 4502 0005 1332, thanks."),
        ("iban", "So that's S-I 91 2100 0418 4502 0005 1332 for the transfer."),
        ("iban", "Mi cuenta es 91 2100 0418 4502 00005 1332."),  # a zero heard twice
        ("iban", "Mi cuenta es 91 2100 0418 4502 005 1332."),  # a zero dropped
        ("spoken_number", "the account number is 4 5 7 1, 2 3 9 8, 1 1 2 0, 4 4 5 1"),
        ("spoken_number", "la cuenta es cero cero ocho uno, dos tres cuatro cinco, seis siete ocho nueve, uno dos"),
        ("spoken_number", "meine Kontonummer ist 1234 5678 9012 3"),
        ("spoken_number", "my passport number is one two three four five six seven eight nine zero one two"),
        ("spoken_number", "numéro de sécurité sociale 1 84 12 75 123 456 78"),
    ],
}
VARIANTS = [(name, kind, text) for name, variants in CLASSES.items() for kind, text in variants]


@pytest.mark.parametrize(("name", "kind", "text"), VARIANTS, ids=[f"{v[0]}-{i}" for i, v in enumerate(VARIANTS)])
def test_every_variant_is_found_as_its_kind(name, kind, text):
    assert kind in find_sensitive([text]), (name, text)


@pytest.mark.parametrize(("said", "written"), [
    ("seis, doce, treinta y cuatro, cincuenta y seis, setenta y ocho", "612345678"),
    ("sixty-one, twenty-three", "6123"), ("vingt-trois, quatre-vingt-dix-sept", "2397"),
    ("dreiundzwanzig, einundvierzig", "2341"), ("ventitré, ventuno", "2321"), ("quaranta-cinc, vint-i-u", "4521"),
    ("double oh seven, double four", "00744"), ("triple nine, double four", "99944"),
    ("drieëntwintig eenentwintig", "2321"), ("hogeita bat, berrogeita hamar", "2150"),
    ("vinte e um, trinta e dois", "2132"),
    ("Echo Sierra nine one two one", "ES 9121"), ("A de Álava, B de Barcelona, uno dos tres cuatro", "AB 1234"),
    ("Anton Berta eins zwei drei vier", "AB 1234"), ("Ancona Bologna uno due tre quattro", "AB 1234"),
])
def test_dictation_is_written_as_meant(said, written):
    assert written in (dictated(f"Note: {said}.") or "")


# --- no new false alarms ------------------------------------------------------------------------------------

# Meeting transcripts without values: dates, times, amounts, years, versions, order numbers, banking words.
TRANSCRIPTS = [
    "Okay, let's get started. It's the 14th of March 2024, 10:30. Last quarter we closed 1,245 tickets, up 12% on "
    "Q3 2023. The account team wants to move the renewal to April, and card payments went from 2.3 million to 2.9 "
    "million euros. Version 4.2.1 ships on Monday; build 20240314 passed.",
    "On the budget: twenty twenty-five is flat at three point five million, twenty twenty-six maybe four. The bank "
    "transfer fees are 0.25% per transaction, we had 18,430 transactions in February. Order 558201 and order 558202 "
    "are still open.",
    "Can everyone hear me? Good. So, one, two, three: we have three options. Option one costs fifteen thousand, "
    "option two twenty-two thousand five hundred, option three thirty thousand. The account manager said the "
    "contract runs from 2024 to 2027, and the account history covers 2019, 2020, 2021, 2022 and 2023.",
    "[00:01:12] the account is overdrawn by 1,200 euros since 03/02/2024. [00:01:30] the card ending 4242 was blocked "
    "on 2024-02-03 at 14:05. [00:02:10] we'll call the bank back on Thursday at 9:15.",
    "Vale, empezamos. Hoy es 5 de marzo de 2024. El trimestre pasado facturamos 1.234.567,89 euros, un 8 % más. La "
    "cuenta de resultados se cierra el día 31. Tenemos 45 pedidos pendientes, el pedido 20240305 incluido, y la "
    "tarjeta de la empresa caduca en 2026.",
    "Sobre las transferencias: en enero hubo doscientas treinta y cuatro, en febrero trescientas doce, en marzo "
    "cuatrocientas. El banco nos cobra 1,5 euros por operación. Lo volvemos a hablar el 12/04/2024 a las 9:00, "
    "sala dos, planta tres.",
    "Gut, fangen wir an. Heute ist der 5. März 2024. Im letzten Quartal hatten wir 12.345 Bestellungen, das Konto "
    "für Marketing liegt bei 250.000 Euro. Version 3.11.2 geht am Montag live, Ticket 48213 ist noch offen, "
    "zwei, drei Punkte noch von gestern.",
    "Bon, on commence. Nous sommes le 5 mars 2024. Le compte de résultat affiche 1 234 567 euros, soit 12 % de plus "
    "qu'en 2023. La carte de fidélité passe à la version 2.0 le 1er avril ; commande 558201 livrée, vingt-trois "
    "colis, trente-quatre palettes.",
    "Allora, iniziamo. Oggi è il 5 marzo 2024. Il conto economico chiude a 2.345.678 euro, più 7% rispetto al 2023. "
    "La carta aziendale scade nel 2026, ordine 558201 spedito il 12/03/2024, ventitré colli.",
    "The meeting code is four five six and the room is twelve. We met in twenty nineteen, twenty twenty and "
    "twenty twenty-one; next one is at two thirty on the fifth. Card sorting workshop: eight teams of six.",
]


def clean_prose(rnd: random.Random) -> str:
    return (f"Order {rnd.randint(1000, 99_999_999)} was placed on {rnd.randint(1, 28)}/{rnd.randint(1, 12)}/"
            f"{rnd.randint(2000, 2030)} at {rnd.randint(0, 23)}:{rnd.randint(10, 59)} for {rnd.randint(1, 9999)},"
            f"{rnd.randint(10, 99)} EUR; version {rnd.randint(1, 20)}.{rnd.randint(0, 20)}.{rnd.randint(0, 99)}, "
            f"{rnd.randint(1, 100)}% done, invoice {rnd.randint(10**9, 10**12)} total ${rnd.randint(100, 10**7):,}.")


STRUCTURED = {"person", "address"}  # names and places: their own recognisers and tests


def test_meeting_transcripts_and_clean_prose_raise_nothing():
    rnd = random.Random(40)
    texts = TRANSCRIPTS + [clean_prose(rnd) for _ in range(200)]
    alarms = [(kinds, text) for text in texts if (kinds := set(find_sensitive([text])) - STRUCTURED)]
    assert alarms == []


def test_images_binaries_and_their_gzip_in_base64_are_read_as_nothing():
    rnd = random.Random(40)
    binary = rnd.randbytes(20_000)
    blobs = [media.png(), media.noisy_jpeg(30_000, seed=4), binary, gzip.compress(binary), zlib.compress(binary),
             gzip.compress(media.png()), deflate(binary)]
    for blob in blobs:
        assert set(find_sensitive([f"attachment: {b64(blob)}"])) - STRUCTURED == set()


def bomb(printable: bool) -> str:
    return b64(gzip.compress((b"A" if printable else b"\0") * 20_000_000, compresslevel=9))


@pytest.mark.parametrize("printable", [False, True])
def test_a_gzip_bomb_is_unscanned_not_clean(printable):
    with pytest.raises(ScanTimeout):
        find_sensitive([f"logs: {bomb(printable)}"])


# --- through the gateway -----------------------------------------------------------------------------------

def flexible(gateway, messages):
    return gateway.client().chat.completions.with_raw_response.create(
        model="auto", messages=messages, extra_body={"privacy_mode": "flexible"})


@pytest.mark.parametrize("name", list(CLASSES))
def test_each_class_stays_off_gemini(gateway, ollama, gemini, name):
    messages = [{"role": "user", "content": text} for _, text in CLASSES[name]]
    raw = flexible(gateway, messages)
    assert raw.headers["x-gateway-escalated"] == "sensitive-data", name
    assert raw.headers["x-gateway-privacy"] == "strict"
    assert gemini.requests == [] and gemini.upload_count == 0


def test_a_clean_transcript_still_goes_to_gemini(gateway, ollama, gemini):
    raw = flexible(gateway, [{"role": "user", "content": "Summarise: " + " ".join(TRANSCRIPTS[:4])}])
    assert raw.headers["x-gateway-privacy"] == "flexible"
    assert gemini.requests


def test_a_gzip_bomb_makes_the_request_strict(gateway, ollama, gemini):
    raw = flexible(gateway, [{"role": "user", "content": f"What is in this log? {bomb(printable=True)}"}])
    assert raw.headers["x-gateway-privacy"] == "strict"
    assert gemini.requests == []


@pytest.mark.parametrize(("text", "found"), [
    # a number read out digit by digit, its banking word misheard ("IBAN" as "I'm"): no word needed
    ("My I'm only S I'm one two one zero zero zero zero four one eight four five zero two zero zero zero five "
     "one three three two", True),
    ("I'm going to be at 9-1-2-1-0-0-0-4-1-8-4-5-0-2-0-0-0-0-0-5-1-3-3-2.", True),
    ("one two three, let's go", False),  # short
    ("[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]", False),  # a list in code
    ("'1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa'", False),  # a reverse pointer
])
def test_a_long_number_read_out_digit_by_digit_is_a_value(text, found):
    assert ("spoken_number" in find_sensitive([text])) is found


@pytest.mark.parametrize(("heard", "looping"), [
    ("My Iber is 91,100,000 100,000,000,000," + "000," * 12, True),  # Whisper stuck on a dictated number
    ("$1,000 $1,100 " + "$0.00 " * 12, True),
    ("My iPad in the S-" + "I-" * 20, True),  # one spelled letter, stuck
    ("I-B-M-N-A-S-A-F-B-I-U-S-A-G-P-S", False),  # letters spelled, not one stuck
    ("Please pay the deposit to my account. Thanks, thanks.", False),
    ("no no no no no, not that one", False),
    ("ha " * 12 + "♪ " * 12 + "la " * 12, False),  # a laugh, music, a chant: not a number
])
def test_whisper_stuck_on_a_repetition_leaves_the_recording_unscanned(heard, looping):
    from plugins.attachments.audio_scan import LOOPING

    assert bool(LOOPING.search(heard)) is looping


@pytest.mark.parametrize(("heard", "written"), [
    ("I'm only S121nero Nero 41845nero Nero 51332.", "I'm only S1210 0 418450 0 51332."),
    ("SI12100neero-4048450", "SI121000-4048450"),
    ("at 5km and 10am, 3pm on the 2nd, 1990s", None),  # units and ordinals glued to digits are not zeros
    ("Nero was the 5th emperor", None),
])
def test_zero_misheard_as_a_word_glued_to_a_digit_is_a_zero(heard, written):
    from plugins.attachments.transcription import as_written

    assert as_written(heard) == (heard if written is None else f"{heard}\n{written}")


def test_a_number_heard_beside_whispers_iban_is_a_spoken_number():
    assert "spoken_number" in find_sensitive(["My Iber BSI 121080418 4502105005 1332"])
