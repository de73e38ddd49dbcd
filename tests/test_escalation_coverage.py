"""Escalation reads everything that would leave: every message field, tools, schemas, disguised text,
every PDF page; what cannot be read is not sent to the cloud unread."""

from __future__ import annotations

import json

import httpx
import pytest

from tests import media
from tests.helpers import chat_bodies

IBAN = "ES9121000418450200051332"
TOOL = {"type": "function", "function": {"name": "pay", "description": "Pay the invoice",
                                         "parameters": {"type": "object", "properties": {"iban": {"type": "string"}}}}}


def explain(gateway, **body) -> dict:
    body = {"model": "auto", "privacy_mode": "flexible", **body}
    response = httpx.post(gateway.url("/v1/route/explain"), headers=gateway.auth, json=body, timeout=120)
    assert response.status_code == 200, response.text
    return response.json()


CARRIERS = {
    "system message": dict(messages=[{"role": "system", "content": f"Account {IBAN}"},
                                     {"role": "user", "content": "hi"}]),
    "developer message": dict(messages=[{"role": "developer", "content": f"Account {IBAN}"},
                                        {"role": "user", "content": "hi"}]),
    "tool description": dict(messages=[{"role": "user", "content": "hi"}],
                             tools=[{**TOOL, "function": {**TOOL["function"], "description": f"Pay to {IBAN}"}}]),
    "tool parameter schema": dict(messages=[{"role": "user", "content": "hi"}], tools=[{**TOOL, "function": {
        **TOOL["function"], "parameters": {"type": "object", "properties": {"iban": {"enum": [IBAN]}}}}}]),
    "assistant tool-call arguments": dict(messages=[
        {"role": "user", "content": "pay"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "pay", "arguments": json.dumps({"iban": IBAN})}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "done"}], tools=[TOOL]),
    "tool result": dict(messages=[
        {"role": "user", "content": "look it up"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "pay", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": f"The IBAN is {IBAN}"}], tools=[TOOL]),
    "response_format schema": dict(messages=[{"role": "user", "content": "hi"}], response_format={
        "type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object", "description": IBAN}}}),
    "message name": dict(messages=[{"role": "user", "name": "ana.garcia@example.org", "content": "hi"}]),
    "zero-width spaces": dict(messages=[{"role": "user",
                                         "content": "ES91\u200b2100\u200b0418\u200b4502\u200b0005\u200b1332"}]),
    "full-width digits": dict(messages=[{"role": "user",
                                         "content": "ＥＳ９１２１００ ０４１８ ４５０２ ０００５ １３３２"}]),
    "text part": dict(messages=[{"role": "user", "content": [{"type": "text", "text": f"IBAN {IBAN}"}]}]),
}


@pytest.mark.parametrize("carrier", sorted(CARRIERS))
def test_sensitive_data_anywhere_in_the_request_escalates(gateway, ollama, gemini, carrier):
    explained = explain(gateway, **CARRIERS[carrier])
    assert explained["escalated"] == "sensitive-data", explained
    assert explained["privacy"] == "strict"
    assert gemini.requests == []


def test_escalated_request_with_disguised_iban_never_reaches_gemini(gateway, ollama, gemini):
    response = httpx.post(gateway.url("/v1/chat/completions"), headers=gateway.auth, timeout=60, json={
        "model": "auto", "privacy_mode": "flexible", **CARRIERS["zero-width spaces"]})
    assert response.status_code == 200, response.text
    assert response.headers["x-gateway-escalated"] == "sensitive-data"
    assert gemini.requests == [] and len(chat_bodies(ollama)) == 1


def _pdf_request(gateway, data: bytes) -> httpx.Response:
    parts = [{"type": "text", "text": "Summarise"}, {"type": "file", "file_index": 0}]
    return httpx.post(gateway.url("/v1/route/explain"), headers=gateway.auth, timeout=180,
                      data={"task": "chat", "privacy_mode": "flexible", "messages": json.dumps(
                          [{"role": "user", "content": parts}])},
                      files={"files": ("doc.pdf", data, "application/pdf")})


def test_pdf_text_page_then_image_page_with_an_iban(gateway, ollama, gemini):
    image = media.jpeg_of(media.text_image(f"IBAN {IBAN}", (1100, 200)))
    data = media.pdf_document([("text", "A perfectly harmless introduction of more than twenty characters."),
                               ("image", image)])
    explained = _pdf_request(gateway, data).json()
    assert explained["escalated"] == "sensitive-data", explained
    assert gemini.requests == []


def test_pdf_with_more_image_pages_than_the_ocr_cap_is_not_sent_unread(gateway, ollama, gemini):
    data = media.pdf(7, text=f"IBAN {IBAN}", text_page=5)  # ocr_max_pages is 5: page 6 cannot be read
    explained = _pdf_request(gateway, data).json()
    assert explained["privacy"] == "strict", explained
    assert explained["escalated"] in ("sensitive-data", "unscanned-content")
    assert gemini.requests == []


def test_clean_text_pdf_stays_flexible(gateway, ollama, gemini):
    data = media.pdf_document([("text", "Minutes of the garden committee."), ("text", "Roses need water.")])
    explained = _pdf_request(gateway, data).json()
    assert explained["privacy"] == "flexible" and not explained["escalated"]


def test_a_resent_image_is_not_scanned_again(gateway, ollama, gemini):
    """The scan verdict is cached per key and content: the second request costs no OCR."""
    image = media.text_image("Nothing personal in this picture", (900, 120))

    def scans() -> float:
        text = httpx.get(gateway.url("/metrics"), headers=gateway.auth, timeout=30).text
        return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                   if line.startswith("gateway_escalation_scan_seconds_count"))

    def send() -> httpx.Response:
        parts = [{"type": "text", "text": "Describe"}, {"type": "image", "file_index": 0}]
        return httpx.post(gateway.url("/v1/chat/completions"), headers=gateway.auth, timeout=120, data={
            "privacy_mode": "flexible", "messages": json.dumps([{"role": "user", "content": parts}])},
            files={"files": ("a.png", image, "image/png")})

    before = scans()
    assert send().status_code == 200
    assert scans() == before + 1
    assert send().status_code == 200
    assert scans() == before + 1
