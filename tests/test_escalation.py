"""Sensitive-data escalation: flexible requests holding personal data are handled as strict."""

from __future__ import annotations

import json

import httpx
import openai
import pytest

from tests import media
from tests.helpers import chat_bodies

SENSITIVE_TEXT = {
    "email": "Escribe a ana.garcia@example.org mañana",
    "phone": "Llámame al +34 612 345 678 por la tarde",
    "iban": "Transfer to ES91 2100 0418 4502 0005 1332 today",
    "card": "My card is 4111 1111 1111 1111, expires 12/29",
    "dni": "Mi DNI es 12345678Z",
    "nie": "NIE X1234567L del solicitante",
}
CLEAN_TEXT = ["Summarise the plot of Don Quixote", "Card 4111 1111 1111 1112 fails Luhn", "DNI 12345678A is wrong"]


def flexible(gateway, content, **extra):
    return gateway.client().chat.completions.with_raw_response.create(
        model="auto", messages=[{"role": "user", "content": content}],
        extra_body={"task": "chat", "privacy_mode": "flexible", **extra},
    )


@pytest.mark.parametrize("kind", sorted(SENSITIVE_TEXT))
def test_sensitive_text_escalates_to_strict(gateway, ollama, gemini, kind):
    raw = flexible(gateway, SENSITIVE_TEXT[kind])
    assert raw.headers["x-gateway-escalated"] == "sensitive-data"
    assert raw.headers["x-gateway-privacy"] == "strict"
    assert raw.parse().model == "chat-strict"
    assert len(chat_bodies(ollama)) == 1
    assert gemini.requests == []


@pytest.mark.parametrize("text", CLEAN_TEXT)
def test_clean_text_stays_flexible(gateway, ollama, gemini, text):
    raw = flexible(gateway, text)
    assert "x-gateway-escalated" not in raw.headers
    assert raw.parse().model == "chat-flexible"
    assert chat_bodies(ollama) == []


def _multipart(gateway, kind: str, data: bytes, privacy: str = "flexible", path: str = "/v1/chat/completions"):
    parts = [{"type": "text", "text": "Read this"}, {"type": kind, "file_index": 0}]
    return httpx.post(gateway.url(path), headers=gateway.auth, timeout=120,
                      data={"task": "ocr", "privacy_mode": privacy,
                            "messages": json.dumps([{"role": "user", "content": parts}])},
                      files={"files": ("doc.bin", data, "application/octet-stream")})


def test_sensitive_text_inside_an_image_escalates(gateway, ollama, gemini):
    response = _multipart(gateway, "image", media.text_image("Contact: juan.perez@example.com"))
    assert response.status_code == 200, response.text
    assert response.headers["x-gateway-escalated"] == "sensitive-data"
    assert response.json()["model"] == "ocr-strict"
    assert len(chat_bodies(ollama)[0]["messages"][-1]["images"]) == 1
    assert gemini.requests == []


def test_sensitive_text_inside_a_scanned_pdf_escalates(gateway, ollama, gemini):
    response = _multipart(gateway, "file", media.pdf(1, text="DNI 12345678Z"))
    assert response.status_code == 200, response.text
    assert response.headers["x-gateway-escalated"] == "sensitive-data"
    assert gemini.requests == []


def test_clean_image_stays_flexible(gateway, ollama, gemini):
    response = _multipart(gateway, "image", media.text_image("The quick brown fox"))
    assert response.status_code == 200
    assert "x-gateway-escalated" not in response.headers
    assert response.json()["model"] == "ocr-flexible"


@pytest.mark.parametrize(("kind", "data"), [("text", None), ("image", "image")])
def test_explain_matches_the_real_call(gateway, ollama, gemini, kind, data):
    if kind == "text":
        body = {"model": "auto", "privacy_mode": "flexible",
                "messages": [{"role": "user", "content": SENSITIVE_TEXT["dni"]}]}
        explained = httpx.post(gateway.url("/v1/route/explain"), headers=gateway.auth, json=body, timeout=60).json()
        real = httpx.post(gateway.url("/v1/chat/completions"), headers=gateway.auth, json=body, timeout=60)
    else:
        image = media.text_image("IBAN ES91 2100 0418 4502 0005 1332")
        explained = _multipart(gateway, "image", image, path="/v1/route/explain").json()
        real = _multipart(gateway, "image", image)
    assert explained["escalated"] == real.headers["x-gateway-escalated"] == "sensitive-data"
    assert explained["group"] == real.headers["x-gateway-group"]
    assert explained["privacy"] == real.headers["x-gateway-privacy"] == "strict"
    assert gemini.requests == []


def test_explain_calls_no_model(gateway, ollama, gemini):
    body = {"model": "auto", "privacy_mode": "flexible", "messages": [{"role": "user", "content": "hi"}]}
    explained = httpx.post(gateway.url("/v1/route/explain"), headers=gateway.auth, json=body).json()
    assert explained["group"] == "chat-flexible" and explained["deployments"] == ["gemini/gemini-2.5-flash"]
    assert gemini.requests == [] and chat_bodies(ollama) == []


def test_override_needs_an_allowed_key(gateway, ollama, gemini):
    with pytest.raises(openai.PermissionDeniedError):
        flexible(gateway, SENSITIVE_TEXT["email"], escalation="off")
    assert gemini.requests == [] and chat_bodies(ollama) == []


def test_keywords_and_allowed_override(start_gateway, ollama, gemini):
    configured = start_gateway({"gateway": {"escalation": {"keywords": ["project falcon"],
                                                           "override_key_aliases": ["*"]}}})
    raw = flexible(configured, "Status of Project Falcon?")
    assert raw.headers["x-gateway-escalated"] == "sensitive-data"
    assert gemini.requests == []
    raw = flexible(configured, SENSITIVE_TEXT["email"], escalation="off")
    assert "x-gateway-escalated" not in raw.headers and raw.parse().model == "chat-flexible"


def test_audit_lines_are_json_without_content(gateway, ollama, gemini):
    flexible(gateway, SENSITIVE_TEXT["card"])
    _multipart(gateway, "image", media.png())
    lines = [json.loads(line) for line in gateway.log().splitlines() if line.startswith('{"')]
    audits = [line for line in lines if line.get("event") == "gateway.request"]
    assert audits, "no audit lines written"
    escalated = [line for line in audits if line["escalated"] == "sensitive-data"]
    assert escalated
    assert escalated[-1]["privacy_requested"] == "flexible" and escalated[-1]["privacy_applied"] == "strict"
    assert any(line["attachments"] and line["attachments"][0]["placement"] for line in audits)
    text = "\n".join(json.dumps(line) for line in audits)
    assert "4111" not in text and "Read this" not in text and gateway.master_key not in text
