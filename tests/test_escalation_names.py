"""Person names and street addresses through the running gateway: a flexible chat holding a Faker name
and address (values nobody here wrote) still reaches Gemini, with placeholders instead of them (the shipped
action for `person` and `address` is redact), and the answer gets them back; with escalate per kind nothing
reaches the Gemini emulator; business prose with cities and companies stays flexible and untouched."""

from __future__ import annotations

import json

import httpx
import pytest
from faker import Faker

from tests.helpers import chat_bodies, gemini_calls
from tests.test_escalation import flexible


def faker_for(locale: str) -> Faker:
    faker = Faker(locale)
    faker.seed_instance(32)
    return faker


@pytest.mark.parametrize(("locale", "template"), [
    ("es_ES", "Hola, soy {name}. Enviad la factura a {address}, por favor."),
    ("en_GB", "Hi, this is {name}. Please send the invoice to {address}."),
])
def test_a_name_and_address_are_redacted_by_default_and_restored(gateway, ollama, gemini, locale, template):
    faker = faker_for(locale)
    name, address = faker.name(), faker.address().replace("\n", ", ")
    raw = flexible(gateway, template.format(name=name, address=address))
    assert "x-gateway-escalated" not in raw.headers
    assert raw.headers["x-gateway-privacy"] == "flexible"
    assert raw.headers["x-gateway-redacted"] == "address:1,name:1"
    sent = json.dumps([call.body for call in gemini_calls(gemini)], ensure_ascii=False)
    assert name not in sent and address not in sent and "[NAME_1]" in sent and "[ADDRESS_1]" in sent
    assert chat_bodies(ollama) == []


def test_a_pasted_table_reaches_gemini_with_every_person_and_address_replaced(gateway, ollama, gemini):
    """Issue 37: the cells under a name or address column's header, whatever the names' origin."""
    table = ("employee_id,given_name,family_name,address,team\n"
             "77,Adaeze,Obi,\"Damrak 1, 1012 LG Amsterdam\",finance\n"
             "78,Wei,Chen,Herengracht 502,procurement\n"
             "79,Youssef,El Idrissi,Coolsingel 40,logistics")
    raw = flexible(gateway, "Count the employees per team:\n" + table)
    assert raw.headers["x-gateway-privacy"] == "flexible" and "x-gateway-escalated" not in raw.headers
    sent = json.dumps([call.body for call in gemini_calls(gemini)], ensure_ascii=False)
    for value in ("Adaeze", "Obi", "Damrak", "Wei", "Chen", "Herengracht", "Youssef", "Idrissi", "Coolsingel"):
        assert value not in sent, value
    assert "finance" in sent and "procurement" in sent and "[NAME_" in sent and "[ADDRESS_" in sent
    assert chat_bodies(ollama) == []


def test_with_escalate_per_kind_names_and_addresses_of_any_origin_stay_local(start_gateway, gemini, ollama):
    running = start_gateway({"gateway": {"escalation": {"actions": {"person": "escalate", "address": "escalate"}}}})
    for text in ("Please ask Priya Sharma and Andrei Constantinescu to sign.", "talk to kenny pena about the invoice",
                 "The quote was sent by Wang Fang.", "avisa a yassine el fassi mañana", "Adres: Neude 11, Utrecht",
                 "ok apunta calle sorolla, 459", "Paretzer Straße 365, Berlin"):
        raw = flexible(running, text)
        assert raw.headers["x-gateway-escalated"] == "sensitive-data", text
        assert raw.parse().model == "chat-strict"
    assert [request for request in gemini.requests if request.method == "POST"] == []


def test_cities_companies_and_orders_stay_flexible(gateway, ollama, gemini):
    # (dd/mm/yyyy and dd.mm.yyyy dates are left out: the phone recogniser reads them as numbers, issue 32)
    text = ("Order PO-44812 for 1.250,00 € shipped from Madrid on 5 March 2024 at 14:30 by Martin Dupont SARL; "
            "the Galaxy Tab S9 is back in stock in Paris and East Jasmine.")
    raw = flexible(gateway, text)
    assert "x-gateway-escalated" not in raw.headers
    assert raw.parse().model == "chat-flexible"
    assert chat_bodies(ollama) == []


def test_without_the_name_dictionary_health_is_degraded_and_requests_stay_local(start_gateway, gemini, ollama,
                                                                                  tmp_path):
    """Fail closed: a gateway whose name list is missing says so on /health and handles
    every flexible request as unscanned (strict) rather than sending names to the cloud unread."""
    running = start_gateway({"gateway": {"escalation": {"name_list": str(tmp_path / "missing.tsv.gz")}}})
    health = httpx.get(running.url("/health"), timeout=30).json()
    assert health["local_models"]["person_names"]["status"] == "missing"
    assert any(line.startswith("person names") for line in health["degraded"])
    raw = flexible(running, "Summarise the plot of Don Quixote")
    assert raw.headers["x-gateway-privacy"] == "strict"
    assert len(chat_bodies(ollama)) == 1
    assert [request.path for request in gemini.requests if request.method == "POST"] == []  # /health only GETs
