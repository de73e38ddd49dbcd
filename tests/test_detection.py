"""What the detector recognises in what people write (issue 32): generated real-world values (Faker, six
locales) found at the issue's goals, clean business prose left alone, and every new kind kept from the
Gemini emulator through the running gateway, for escalate, redact and block."""

from __future__ import annotations

import json
import random

import httpx
import openai
import pytest
from faker import Faker

from plugins.policy.detect import find_sensitive
from tests import media
from tests.helpers import chat_bodies, gemini_calls

LOCALES = ("es_ES", "en_US", "en_GB", "de_DE", "fr_FR", "it_IT")
TEMPLATES = ("Please use {} for this.", "Mis datos: {}. Gracias.", "Bitte notieren: {} – danke!",
             "Voici : {}, merci.", "Ecco il dato {} come richiesto.")


def generated(kind: str, fake: Faker) -> str:
    return getattr(fake, {"iban": "iban", "credit_card": "credit_card_number", "phone": "phone_number",
                          "email": "email", "es_dni": "nif", "es_nie": "nie"}[kind])()


def recall(kind: str, locale: str, count: int = 150) -> tuple[float, list[str]]:
    fake = Faker(locale)
    fake.seed_instance(20261204)
    missed = []
    for index in range(count):
        value = generated(kind, fake)
        if kind not in find_sensitive([TEMPLATES[index % len(TEMPLATES)].format(value)]):
            missed.append(value)
    return 1 - len(missed) / count, missed


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("kind", ["iban", "credit_card", "phone", "email"])
def test_structured_kinds_found_at_99_percent(kind, locale):
    found, missed = recall(kind, locale)
    assert found >= 0.99, f"{kind} in {locale}: {found:.1%}, missed {missed[:10]}"


@pytest.mark.parametrize("kind", ["es_dni", "es_nie"])
def test_spanish_ids_found(kind):
    found, missed = recall(kind, "es_ES")
    assert found >= 0.99, missed[:10]


def clean_paragraph(fake: Faker, rnd: random.Random) -> str:
    return (f"{fake.paragraph(nb_sentences=3)} Order {rnd.randint(1000, 99_999_999)} was placed on {fake.date()} at "
            f"{fake.time()} ({fake.date(pattern='%d/%m/%Y')}, {fake.date(pattern='%d.%m.%Y')}) for "
            f"{rnd.randint(1, 9999)},{rnd.randint(10, 99)} EUR; ref {fake.bothify('??-####-###')}, "
            f"{rnd.randint(1, 100)}% done, version {rnd.randint(1, 20)}.{rnd.randint(0, 20)}.{rnd.randint(0, 99)}, "
            f"{fake.city()}, {fake.company()}. Invoice {rnd.randint(10**9, 10**12)} total "
            f"${rnd.randint(100, 10**7):,}.{rnd.randint(10, 99)}.")


def test_clean_prose_with_dates_amounts_and_order_numbers_is_left_alone():
    rnd, alarms, paragraphs = random.Random(7), [], 0
    for locale in LOCALES:
        fake = Faker(locale)
        fake.seed_instance(11)
        for _ in range(50):
            paragraph, paragraphs = clean_paragraph(fake, rnd), paragraphs + 1
            structured = [kind for kind in find_sensitive([paragraph]) if kind not in ("person", "address")]
            if structured:
                alarms.append((structured, paragraph))
    assert len(alarms) <= 0.01 * paragraphs, alarms[:5]


@pytest.mark.parametrize(("value", "kind"), [
    # The issue's misses, each now found.
    ("2224413423844589", "credit_card"), ("3570673491703920", "credit_card"), ("36112912223600", "credit_card"),
    ("4948802920322154985", "credit_card"), ("676168724547", "credit_card"), ("4111-1111-1111-1111", "credit_card"),
    ("(312)950-4992x46453", "phone"), ("001-696-929-6384x2721", "phone"), ("0808 157 0436", "phone"),
    ("(020) 7496 0638", "phone"), ("(06453) 17358", "phone"), ("+49(0)5084 18703", "phone"),
    ("+33 (0)4 37 14 17 37", "phone"), ("09653715644", "phone"), ("612 34 56 78", "phone"),
    ("ES 91 2100 0418 4502 0005 1332", "iban"), ("E S 9 1 2 1 0 0 0 4 1 8 4 5 0 2 0 0 0 5 1 3 3 2", "iban"),
    ("nine one two one zero zero zero four one eight", "phone"),
])
def test_the_issues_examples(value, kind):
    assert kind in find_sensitive([f"Here: {value}."])


@pytest.mark.parametrize("text", [
    "The meeting is on 2024-03-05 at 10:30 in room 4.", "Order 558201 shipped on 03/05/2024, total 1.234,56 EUR.",
    "Version 12.4.1 fixed 17 bugs; invoice 311412760271 is paid.", "We grew 12% in 2023 and 2024 (Q3: 4.5 M€).",
])
def test_numbers_that_are_not_values(text):
    assert find_sensitive([text]) == []


def test_a_value_split_across_turns_is_one_value():
    assert "iban" in find_sensitive(["My account starts ES91 2100 0418", "Go on, I am listening to every digit",
                                     "and it ends 4502 0005 1332"])
    assert "credit_card" in find_sensitive(["The card is 4111 1111", "ok, and the rest of the number?",
                                            "1111 1111"])


# --- through the gateway ---------------------------------------------------------------------------------

CARD, PHONE = "2224413423844589", "(312)950-4992x46453"


def flexible(gateway, messages, **extra):
    return gateway.client().chat.completions.with_raw_response.create(
        model="auto", messages=messages, extra_body={"privacy_mode": "flexible", **extra})


def sent_to_gemini(gemini) -> str:
    return json.dumps([call.body for call in gemini_calls(gemini)])


@pytest.mark.parametrize("value", [CARD, PHONE])
def test_new_kinds_escalate_and_never_reach_gemini(gateway, ollama, gemini, value):
    raw = flexible(gateway, [{"role": "user", "content": f"Call or charge {value} today"}])
    assert raw.headers["x-gateway-escalated"] == "sensitive-data" and raw.headers["x-gateway-privacy"] == "strict"
    assert gemini.requests == [] and chat_bodies(ollama)


@pytest.mark.parametrize(("value", "placeholder"), [(CARD, "[CARD_1]"), (PHONE, "[PHONE_1]")])
def test_new_kinds_redacted_then_restored(gateway, ollama, gemini, value, placeholder):
    raw = flexible(gateway, [{"role": "user", "content": f"Repeat this: {value}"}], sensitive_data="redact")
    assert raw.headers["x-gateway-privacy"] == "flexible"
    sent = sent_to_gemini(gemini)
    assert value not in sent and placeholder in sent
    assert value in raw.parse().choices[0].message.content


@pytest.mark.parametrize("value", [CARD, PHONE])
def test_new_kinds_blocked(gateway, ollama, gemini, value):
    with pytest.raises(openai.PermissionDeniedError):
        flexible(gateway, [{"role": "user", "content": f"Use {value}"}], sensitive_data="block")
    assert gemini.requests == [] and chat_bodies(ollama) == []


def test_split_iban_across_user_turns_stays_local(gateway, ollama, gemini):
    messages = [{"role": "user", "content": "My IBAN starts ES91 2100 0418"},
                {"role": "assistant", "content": "Understood, please send the rest of it when you can."},
                {"role": "user", "content": "4502 0005 1332"}]
    raw = flexible(gateway, messages)
    assert raw.headers["x-gateway-escalated"] == "sensitive-data"
    assert gemini.requests == []


def _multipart(gateway, kind: str, data: bytes):
    parts = [{"type": "text", "text": "Read this"}, {"type": kind, "file_index": 0}]
    return httpx.post(gateway.url("/v1/chat/completions"), headers=gateway.auth, timeout=120,
                      data={"task": "ocr", "privacy_mode": "flexible",
                            "messages": json.dumps([{"role": "user", "content": parts}])},
                      files={"files": ("doc.bin", data, "application/octet-stream")})


@pytest.mark.parametrize("value", ["Card 4111 1111 1111 1111", "Tel. +34 612 345 678"])
def test_new_kinds_in_an_image_and_on_a_pdf_page(gateway, ollama, gemini, value):
    for kind, data in (("image", media.text_image(value)), ("file", media.pdf(1, text=value))):
        response = _multipart(gateway, kind, data)
        assert response.status_code == 200, response.text
        assert response.headers["x-gateway-escalated"] == "sensitive-data", kind
    assert gemini.requests == [] and gemini.upload_count == 0


def test_a_pdf_page_with_a_text_layer_is_still_rendered_and_read(gateway, ollama, gemini):
    image = media.jpeg_of(media.text_image("Card 4111 1111 1111 1111"))
    document = media.pdf_document([("text", "Quarterly notes, nothing to see here"), ("image", image)])
    response = _multipart(gateway, "file", document)
    assert response.headers["x-gateway-escalated"] == "sensitive-data"
    assert gemini.requests == []


def test_per_kind_actions(start_gateway, ollama, gemini):
    configured = start_gateway({"gateway": {"escalation": {"actions": {"phone": "redact"}}}})
    raw = flexible(configured, [{"role": "user", "content": f"Ring me at {PHONE}"}])
    assert raw.headers["x-gateway-privacy"] == "flexible" and raw.headers["x-gateway-redacted"] == "phone:1"
    assert PHONE not in sent_to_gemini(gemini) and PHONE in raw.parse().choices[0].message.content
    gemini.reset()
    raw = flexible(configured, [{"role": "user", "content": f"Ring me at {PHONE}, pay ES9121000418450200051332"}])
    assert raw.headers["x-gateway-escalated"] == "sensitive-data"  # the strictest action of the kinds found
    assert gemini.requests == []


def test_a_spoken_phone_number_stays_local(gateway, ollama, gemini):
    from tests.test_audio import chat, speech

    response = chat(gateway, "flexible", "audio", speech("Call me on six one two, three four five, six seven eight."))
    assert response.status_code == 200, response.text
    assert response.headers["x-gateway-escalated"] == "sensitive-data"
    assert gemini.requests == [] and gemini.upload_count == 0


# --- spellings (issue 33): generated transformations of every kind, derandomized ------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

VALUES = {
    "iban": ["ES9121000418450200051332", "DE89370400440532013000", "GB29NWBK60161331926819",
             "IT60X0542811101000000123456", "FR1420041010050500013M02606"],
    "credit_card": ["4111111111111111", "5555555555554444", "2224413423844589"],
    "phone": ["+34 612 345 678", "+49 30 901820", "+44 20 7946 0958"],
    "es_dni": ["12345678Z"], "es_nie": ["X1234567L"], "email": ["ana.garcia@example.org"],
}
CONFUSABLE = {"A": "А", "E": "Ε", "S": "Ѕ", "B": "Β", "K": "К", "X": "Х", "Z": "Ζ", "L": "Ⅼ", "a": "а", "e": "е",
              "o": "о", "c": "с", "p": "р", "x": "х"}
DIGITS = {"arabic": "٠١٢٣٤٥٦٧٨٩", "devanagari": "०१२३४५६७८९", "fullwidth": "０１２３４５６７８９",
          "bold": "𝟎𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗"}
INVISIBLES = ["\u200b", "\u200d", "\u2060", "\u034f", "\U000e0020", "\ufeff", "\u00ad"]
SEPARATORS = [" ", "\u00a0", "\u2011", "\u2013", "-", ".", "  ", "\t", " | ", ", "]


def grouped(value: str, separator: str) -> str:
    compact = value.replace(" ", "")
    return separator.join(compact[index:index + 4] for index in range(0, len(compact), 4))


def spelled(draw_kind: str, value: str, how: str, option: int) -> str:
    import base64 as b64
    import codecs
    from urllib.parse import quote

    if how == "separators" and draw_kind not in ("email", "phone"):
        return grouped(value, SEPARATORS[option % len(SEPARATORS)])
    if how == "confusables":
        return "".join(CONFUSABLE.get(char, char) for char in value)
    if how == "digits":
        table = list(DIGITS.values())[option % len(DIGITS)]
        return "".join(table[int(char)] if char.isdigit() else char for char in value)
    if how == "invisible":
        mark = INVISIBLES[option % len(INVISIBLES)]
        return mark.join(value)
    if how == "url":
        return quote(quote(value, safe=""), safe="")
    if how == "html":
        return "".join(f"&#{ord(char)};" for char in value)
    if how == "base64x2":
        return b64.b64encode(b64.b64encode(value.encode())).decode()
    if how == "hex":
        return value.encode().hex()
    if how == "rot13" and draw_kind in ("iban", "es_dni", "es_nie", "email"):
        return codecs.encode(value, "rot13")
    if how == "reversed" and draw_kind in ("iban", "es_dni", "es_nie", "email"):
        return value[::-1]
    if how == "words" and draw_kind in ("credit_card", "phone"):
        words = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"] if option % 2 else \
            ["cero", "uno", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve"]
        return " ".join(words[int(char)] if char.isdigit() else char for char in value if char != " ")
    if how == "table" and draw_kind not in ("email", "phone"):
        return "| " + " | ".join(grouped(value, " ").split(" ")) + " |"
    if how == "email" and draw_kind == "email":
        name, domain = value.split("@")
        return f"{name} at {domain.replace('.', ' dot ')}" if option % 2 else f"{name}[at]{domain}"
    return value


HOW = ["separators", "confusables", "digits", "invisible", "url", "html", "base64x2", "hex", "rot13", "reversed",
       "words", "table", "email"]


@settings(derandomize=True, max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(kind=st.sampled_from(sorted(VALUES)), pick=st.integers(0, 10), how=st.sampled_from(HOW),
       option=st.integers(0, 20))
def test_every_spelling_of_every_kind_is_found(kind, pick, how, option):
    value = VALUES[kind][pick % len(VALUES[kind])]
    text = f"Here you are: {spelled(kind, value, how, option)} — thanks."
    assert find_sensitive([text]), f"{how}: {text!r}"


# --- values split between parts of a conversation (issue 33) ----------------------------------------------

def test_split_between_a_tool_call_and_its_result(gateway, ollama, gemini):
    messages = [{"role": "user", "content": "Look up my account"},
                {"role": "assistant", "content": None, "tool_calls": [{
                    "id": "call_1", "type": "function",
                    "function": {"name": "lookup", "arguments": json.dumps({"prefix": "ES91 2100 0418"})}}]},
                {"role": "tool", "tool_call_id": "call_1", "content": json.dumps({"rest": "4502 0005 1332"})}]
    raw = flexible(gateway, messages)
    assert raw.headers["x-gateway-escalated"] == "sensitive-data"
    assert gemini.requests == []


def test_split_between_responses_instructions_and_input(gateway, ollama, gemini):
    raw = gateway.client().responses.with_raw_response.create(
        model="auto", instructions="The customer's card begins 4111 1111", input="and ends 1111 1111; summarise",
        extra_body={"privacy_mode": "flexible"})
    assert raw.headers["x-gateway-escalated"] == "sensitive-data"
    assert gemini.requests == []


def post_parts(gateway, parts, files):
    return httpx.post(gateway.url("/v1/chat/completions"), headers=gateway.auth, timeout=120, files=files,
                      data={"privacy_mode": "flexible", "messages": json.dumps([{"role": "user", "content": parts}])})


def test_split_between_typed_text_and_a_photo(gateway, ollama, gemini):
    parts = [{"type": "text", "text": "My IBAN starts ES91 2100 0418, the rest is in the photo"},
             {"type": "image", "file_index": 0}]
    photo = media.text_image("4502 0005 1332")
    response = post_parts(gateway, parts, files={"files": ("photo.png", photo, "image/png")})
    assert response.status_code == 200, response.text
    assert response.headers["x-gateway-escalated"] == "sensitive-data"
    assert gemini.requests == [] and gemini.upload_count == 0


def test_split_between_two_photos(gateway, ollama, gemini):
    parts = [{"type": "text", "text": "Read both"}, {"type": "image", "file_index": 0},
             {"type": "image", "file_index": 1}]
    response = post_parts(gateway, parts, files=[("files", ("a.png", media.text_image("Card 4111 1111"), "image/png")),
                                                 ("files", ("b.png", media.text_image("then 1111 1111"), "image/png"))])
    assert response.status_code == 200, response.text
    assert response.headers["x-gateway-escalated"] == "sensitive-data"
    assert gemini.requests == []


def test_base64_past_the_decode_budget_is_never_sent_unread(gateway, ollama, gemini):
    import base64 as b64
    import os

    junk = b64.b64encode(os.urandom(1_200_000)).decode()
    hidden = b64.b64encode(b"ES9121000418450200051332").decode()
    raw = flexible(gateway, [{"role": "user", "content": f"{junk} {hidden}"}])
    assert raw.headers["x-gateway-privacy"] == "strict"
    assert gemini.requests == []
