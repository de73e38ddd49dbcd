"""Person names and street addresses through the running gateway: a flexible chat holding a Faker name
and address (values nobody here wrote) is handled as strict and nothing reaches the Gemini emulator;
business prose with cities and companies stays flexible."""

from __future__ import annotations

import httpx
import pytest
from faker import Faker

from tests.helpers import chat_bodies
from tests.test_escalation import flexible


def faker_for(locale: str) -> Faker:
    faker = Faker(locale)
    faker.seed_instance(32)
    return faker


@pytest.mark.parametrize(("locale", "template"), [
    ("es_ES", "Hola, soy {name}. Enviad la factura a {address}, por favor."),
    ("en_GB", "Hi, this is {name}. Please send the invoice to {address}."),
])
def test_a_name_and_address_escalate_and_reach_only_the_local_model(gateway, ollama, gemini, locale, template):
    faker = faker_for(locale)
    name, address = faker.name(), faker.address().replace("\n", ", ")
    raw = flexible(gateway, template.format(name=name, address=address))
    assert raw.headers["x-gateway-escalated"] == "sensitive-data"
    assert raw.headers["x-gateway-privacy"] == "strict"
    assert raw.parse().model == "chat-strict"
    assert name in str(chat_bodies(ollama))
    assert gemini.requests == []


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
    """Fail closed: a gateway whose given-name dictionary is missing says so on /health and handles
    every flexible request as unscanned (strict) rather than sending names to the cloud unread."""
    from tests.gateway_process import ROOT

    (tmp_path / "gender_guesser").mkdir()
    (tmp_path / "gender_guesser" / "__init__.py").write_text("")  # the package, without its data
    running = start_gateway(env={"PYTHONPATH": f"{tmp_path}:{ROOT}"})
    health = httpx.get(running.url("/health"), timeout=30).json()
    assert health["local_models"]["person_names"]["status"] == "missing"
    assert any(line.startswith("person names") for line in health["degraded"])
    raw = flexible(running, "Summarise the plot of Don Quixote")
    assert raw.headers["x-gateway-privacy"] == "strict"
    assert len(chat_bodies(ollama)) == 1
    assert [request.path for request in gemini.requests if request.method == "POST"] == []  # /health only GETs
