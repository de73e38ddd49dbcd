"""National identity, tax, health and bank-account numbers, passports and driving licences (issue 38):
each kind found where people write it, and only there (a failed check digit, an ambiguous bare number,
ordinary numbers and real text are left alone); the held-out set's recall; and through the gateway, a
codice fiscale or NI number kept from Gemini, or replaced by a placeholder and given back."""

from __future__ import annotations

import json
import random
import time

import pytest

from plugins.policy.deadline import ScanTimeout
from plugins.policy.detect import find_sensitive, spans
from plugins.policy.recognisers import national_ids
from tests.detection_sets import clean
from tests.detection_sets.national_ids import SAMPLES, TUNING
from tests.helpers import gemini_calls

KINDS = ("national_id", "tax_id", "health_id", "bank_account", "passport", "driving_licence", "us_ssn")


def ours(text: str) -> list[str]:
    return [kind for kind in find_sensitive([text]) if kind in KINDS]


@pytest.mark.parametrize(("text", "kind", "value"), [
    ("Codice fiscale: RCCMNL83S18D969H", "national_id", "RCCMNL83S18D969H"),  # stdnum's example
    ("NIR 2 95 10 99 126 111 93", "national_id", "2 95 10 99 126 111 93"),  # stdnum's example
    ("sécu : 253072B07300470", "national_id", "253072B07300470"),  # Corsica (2B)
    ("NI number WL 51 22 73 C", "national_id", "WL 51 22 73 C"),
    ("Steuer-ID 36 574 261 809", "national_id", "36 574 261 809"),
    ("BSN 1112.22.333", "national_id", "1112.22.333"),
    ("PESEL 44051401359", "national_id", "44051401359"),
    ("NAF 28/12345678/40", "national_id", "28/12345678/40"),
    ("Carta d'identità CA00000AA", "national_id", "CA00000AA"),
    ("USt-IdNr. DE136695976", "tax_id", "DE136695976"),
    ("ATU13585627", "tax_id", "ATU13585627"),
    ("P.IVA 00743110157", "tax_id", "00743110157"),
    ("contribuinte 501964843", "tax_id", "501964843"),
    ("ITIN 912-90-3456", "tax_id", "912-90-3456"),
    ("NHS no. 943 476 5870", "health_id", "943 476 5870"),
    ("CCC 1234-1234-16 1234567890", "bank_account", "1234-1234-16 1234567890"),  # stdnum's example
    ("routing number 111000025", "bank_account", "111000025"),
    ("account no. 12345678901", "bank_account", "12345678901"),
    ("passport number 561234987", "passport", "561234987"),
    ("Führerschein: B072RRE2I55", "driving_licence", "B072RRE2I55"),
    ("MORGA657054SM9IJ", "driving_licence", "MORGA657054SM9IJ"),  # DVLA: no keyword needed, its date checks
    ("ref LEE99753018SP9RT", "driving_licence", "LEE99753018SP9RT"),  # surname padded with 9s, a woman's month
    ("permis 890775200012", "driving_licence", "890775200012"),
    ("N° de permis : 13AB12345", "driving_licence", "13AB12345"),
    ("GB 980 7806 84", "tax_id", "GB 980 7806 84"),  # stdnum's example
    ("VAT reg 980780684", "tax_id", "980780684"),
    ("GB980780684001", "tax_id", "GB980780684001"),  # a branch's three digits after it
    ("SSN 536-90-4399", "us_ssn", "536-90-4399"),
])
def test_each_kind_found_as_written_and_its_span_is_the_value(text, kind, value):
    assert ours(text) == [kind]
    start = text.index(value)
    assert (start, start + len(value), kind) in spans(text)  # redaction's span, of the right kind (not a phone)


@pytest.mark.parametrize(("text", "kind"), [
    ("my N I number is W L five one two two seven three C", "national_id"),
    ("la cuenta es dos uno cero cero, cero cuatro uno ocho, cuatro cinco, cero dos cero cero cero cinco uno tres "
     "tres dos", "bank_account"),
    ("IBAN nine one two one zero zero zero four one eight four five zero two zero zero zero five one three three two",
     "bank_account"),  # a Spanish IBAN whose "E S" the transcript lost: check digits, then the CCC
    ("Steuer-ID drei sechs fünf sieben vier zwei sechs eins acht null neun", "national_id"),
])
def test_dictated_values_are_found(text, kind):
    assert kind in ours(text)


@pytest.mark.parametrize("text", [
    "Codice fiscale: RCCMNL83S18D969A", "NIR 2 95 10 99 126 111 94", "Steuer-ID 36 574 261 808", "BSN 111222334",
    "PESEL 44051401358", "NAF 28/12345678/41", "USt-IdNr. DE136695977", "P.IVA 00743110158", "NIF 501964842",
    "NHS no. 943 476 5871", "CCC 1234-1234-00 1234567890", "routing number 111000026", "SSN 666-12-3456",
    "NI number DA 12 34 56 C", "NI number GB 12 34 56 A",  # prefixes HMRC never issues
    "MORGA613054SM9IJ", "MORGA650054SM9IJ", "MORGA663054SM9IJ", "MORGA605324SM9IJ", "MORGA605004SM9IJ",  # no such date
    "GB 980 7806 85", "VAT reg 980780685",
])
def test_a_failed_check_digit_or_an_impossible_value_is_not_found(text):
    assert ours(text) == []


@pytest.mark.parametrize("text", [
    "Ship 307070190 units", "Call 501964843", "batch 021000021", "id 44051401359", "ref 36574261809",
    "code 00743110157", "lot 4539439979", "file 281234567840", "Le dossier 890775200012 est complet.",
    "permis de construire n° 890775200012", "Order 980780684 shipped",
])
def test_a_bare_number_whose_check_digit_passes_by_chance_is_not_an_id(text):
    """BSN, PT NIF, ABA, PESEL, Steuer-ID, partita IVA, NHS and Spanish social-security numbers pass their
    checks for 1 to 10 % of random numbers: without a keyword or their written layout they are numbers."""
    assert ours(text) == []


@pytest.mark.parametrize(("text", "kind"), [
    ('{"nhs_number": "4539439979"}', "health_id"), ('{"routingNumber": "021000021"}', "bank_account"),
    ("passport_no=X1234567", "passport"), ("bsn;naam\n307070190;de Vries", "national_id"),
])
def test_keywords_as_field_names(text, kind):
    assert ours(text) == [kind]


def test_the_right_kind_only():
    assert ours("RCCMNL83S18D969H") == ["national_id"]  # a codice fiscale is not a tax id here
    assert ours("IT00743110157") == ["tax_id"]
    assert ours("ES91 2100 0418 4502 0005 1332") == []  # an IBAN, reported as iban, not its CCC again
    assert ours("DE89 3704 0044 0532 0130 00") == []  # nor as a VAT number


def _sentence(rnd: random.Random) -> str:
    length = rnd.randint(5, 24)
    digits = str(rnd.randint(1, 9)) + "".join(rnd.choice("0123456789") for _ in range(length - 1))
    spaced = rnd.choice([digits, " ".join(digits[i:i + 3] for i in range(0, length, 3)),
                         " ".join(digits[i:i + 4] for i in range(0, length, 4)), f"{digits[:4]}-{digits[4:]}"])
    return rnd.choice(["We shipped {} units last week.", "El lote {} llegó ayer.", "Die Sendung {} ist unterwegs.",
                       "Le dossier {} est complet.", "Il codice {} è registrato.", "Tracking {} left Madrid.",
                       "{}", "Serial {} / firmware 2.3.1"]).format(spaced)


def test_ordinary_numbers_in_business_sentences_are_left_alone():
    rnd = random.Random(38)
    sentences = [_sentence(rnd) for _ in range(3000)]
    alarms = [(text, ours(text)) for text in sentences if ours(text)]
    assert len(alarms) <= 0.01 * len(sentences), alarms[:10]


def test_real_source_code_logs_and_prose_are_left_alone():
    texts = clean.stdlib_source(400) + clean.package_logs(200) + clean.reference_prose(30) + clean.transcripts()
    alarms = [(where, text[:120]) for where, text in texts if ours(text)]
    assert len(alarms) <= 0.01 * len(texts), alarms[:5]


def test_held_out_set_recall():
    """SAMPLES was written before the recognisers were tuned (on TUNING) and is never tuned on."""
    missed = [sample for sample in SAMPLES if sample.kind not in ours(sample.text)]
    assert len(missed) <= 0.1 * len(SAMPLES), missed
    assert all(sample.kind in ours(sample.text) for sample in TUNING)


@pytest.mark.parametrize("text", ["DE" + "A1" * 9000 + "x", "driving licence " + "a1 " * 6000 + "x", "1 " * 9000,
                                  "passport no " * 1500, "AB1 " * 4000, "account number " + "1-" * 9000])
def test_long_runs_of_a_shape_are_read_in_linear_time(text):
    """Below 20,000 characters the family's regex runs on `re`, which has no timeout: every repetition in
    it is bounded."""
    started = time.perf_counter()
    list(national_ids.TAX_ID.find(text, None))
    assert time.perf_counter() - started < 1


def test_a_long_text_respects_the_deadline():
    text = "BSN 1112 22 333 CA12345 " * 60_000
    with pytest.raises(ScanTimeout):
        list(national_ids.NATIONAL_ID.find(text, time.monotonic() + 0.001))


# --- through the gateway -----------------------------------------------------------------------------------

CODICE_FISCALE, NINO = "RCCMNL83S18D969H", "WL 51 22 73 C"


def flexible(gateway, content: str, **extra):
    return gateway.client().chat.completions.with_raw_response.create(
        model="auto", messages=[{"role": "user", "content": content}],
        extra_body={"privacy_mode": "flexible", **extra})


@pytest.mark.parametrize("value", [CODICE_FISCALE, NINO, "MORGA657054SM9IJ", "GB 980 7806 84"])
def test_an_id_in_a_flexible_chat_never_reaches_gemini(gateway, ollama, gemini, value):
    raw = flexible(gateway, f"Fill the form for me, my number is {value}")
    assert raw.headers["x-gateway-escalated"] == "sensitive-data"
    assert gemini.requests == []


def test_an_id_redacted_then_restored(gateway, ollama, gemini):
    raw = flexible(gateway, f"Repeat this: {NINO}", sensitive_data="redact")
    sent = json.dumps([call.body for call in gemini_calls(gemini)])
    assert NINO not in sent and "[NATIONAL_ID_1]" in sent
    assert NINO in raw.parse().choices[0].message.content
