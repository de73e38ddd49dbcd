"""Redact instead of downgrade: Gemini gets placeholders, the client gets its values back."""

from __future__ import annotations

import base64
import io
import json

import httpx
import openai
import pytest

from tests import media
from tests.helpers import camel, chat_bodies, gemini_calls

IBAN = "ES9121000418450200051332"
EMAIL = "ana.garcia@example.org"


def sent_to_gemini(gemini) -> str:
    return json.dumps([call.body for call in gemini_calls(gemini)])


def redacting(gateway, content, **extra):
    return gateway.client().chat.completions.with_raw_response.create(
        model="auto", messages=[{"role": "user", "content": content}],
        extra_body={"privacy_mode": "flexible", "sensitive_data": "redact", **extra})


def test_text_values_never_reach_gemini_and_come_back_to_the_client(gateway, ollama, gemini):
    raw = redacting(gateway, f"Pay {IBAN} and write to {EMAIL}; repeat: {IBAN}")
    reply = raw.parse()
    assert raw.headers["x-gateway-privacy"] == "flexible" and "x-gateway-escalated" not in raw.headers
    assert raw.headers["x-gateway-redacted"] == "email:1,iban:1"
    sent = sent_to_gemini(gemini)
    assert IBAN not in sent and EMAIL not in sent
    assert "[IBAN_1]" in sent and "[EMAIL_1]" in sent
    assert sent.count("[IBAN_1]") == 2  # the same value, the same placeholder
    assert IBAN in reply.choices[0].message.content and EMAIL in reply.choices[0].message.content
    assert "[IBAN_1]" not in reply.choices[0].message.content
    assert chat_bodies(ollama) == []


def test_streamed_answers_are_restored(gateway, ollama, gemini):
    stream = gateway.client().chat.completions.create(
        model="auto", messages=[{"role": "user", "content": f"Account {IBAN} for {EMAIL}"}], stream=True,
        extra_body={"privacy_mode": "flexible", "sensitive_data": "redact"})
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    assert IBAN in text and EMAIL in text and "[IBAN_" not in text
    assert IBAN not in sent_to_gemini(gemini)


def test_tools_and_conversation_are_redacted_consistently(gateway, ollama, gemini):
    tool = {"type": "function", "function": {"name": "pay", "description": f"Pays into {IBAN}",
                                             "parameters": {"type": "object", "properties": {}}}}
    messages = [{"role": "system", "content": f"The customer is {EMAIL}"},
                {"role": "user", "content": f"Use {IBAN}"},
                {"role": "assistant", "content": f"Noted {IBAN}"},
                {"role": "user", "content": "Go on"}]
    gateway.client().chat.completions.create(model="auto", messages=messages, tools=[tool],
                                             extra_body={"privacy_mode": "flexible", "sensitive_data": "redact"})
    sent = sent_to_gemini(gemini)
    assert IBAN not in sent and EMAIL not in sent
    assert sent.count("[IBAN_1]") == 3 and "[IBAN_2]" not in sent


def test_a_placeholder_the_user_typed_is_not_restored_into_a_value(gateway, ollama, gemini):
    reply = redacting(gateway, f"Literal [IBAN_1] then the real one {IBAN}").parse()
    sent = sent_to_gemini(gemini)
    assert IBAN not in sent and "[IBAN_2]" in sent  # numbering skips the typed one
    content = reply.choices[0].message.content
    assert "Literal [IBAN_1]" in content and content.count(IBAN) == 1


def _ocr_text(data: bytes) -> str:
    import numpy as np
    from PIL import Image
    from rapidocr_onnxruntime import RapidOCR

    result, _ = RapidOCR()(np.array(Image.open(io.BytesIO(data)).convert("RGB")))
    return " ".join(line[1] for line in result or []).replace(" ", "")


def _gemini_inline_files(gemini) -> list[bytes]:
    parts = [camel(part) for call in gemini_calls(gemini) for content in call.body["contents"]
             for part in content["parts"]]
    return [base64.b64decode(part["inlineData"]["data"]) for part in parts if "inlineData" in part]


def test_image_values_are_blacked_out_before_upload(gateway, ollama, gemini):
    image = media.text_image(f"IBAN {IBAN}", (1100, 160))
    parts = [{"type": "text", "text": "Read it"}, {"type": "image", "file_index": 0}]
    response = httpx.post(gateway.url("/v1/chat/completions"), headers=gateway.auth, timeout=180, data={
        "privacy_mode": "flexible", "sensitive_data": "redact", "messages": json.dumps(
            [{"role": "user", "content": parts}])}, files={"files": ("scan.png", image, "image/png")})
    assert response.status_code == 200, response.text
    assert response.headers["x-gateway-privacy"] == "flexible"
    assert response.headers["x-gateway-redacted"] == "iban:1"
    files = _gemini_inline_files(gemini)
    assert len(files) == 1 and files[0] != image
    assert IBAN not in _ocr_text(files[0])
    assert chat_bodies(ollama) == []


def test_pdf_is_rasterised_with_the_values_blacked_out(gateway, ollama, gemini):
    data = media.pdf_document([("text", f"Invoice to be paid into {IBAN} this week.")])
    parts = [{"type": "text", "text": "Summarise"}, {"type": "file", "file_index": 0}]
    response = httpx.post(gateway.url("/v1/chat/completions"), headers=gateway.auth, timeout=180, data={
        "privacy_mode": "flexible", "sensitive_data": "redact", "messages": json.dumps(
            [{"role": "user", "content": parts}])}, files={"files": ("invoice.pdf", data, "application/pdf")})
    assert response.status_code == 200, response.text
    assert response.headers.get("x-gateway-redacted") == "iban:1", response.headers
    import pypdfium2

    (sent,) = _gemini_inline_files(gemini)
    document = pypdfium2.PdfDocument(sent)
    assert IBAN not in "".join(page.get_textpage().get_text_range() for page in document)
    page = document[0].render(scale=2).to_pil()
    output = io.BytesIO()
    page.save(output, format="PNG")
    assert IBAN not in _ocr_text(output.getvalue())


def test_block_refuses_without_calling_any_model(gateway, ollama, gemini):
    with pytest.raises(openai.PermissionDeniedError) as refused:
        redacting(gateway, f"Pay {IBAN}", sensitive_data="block")
    assert "iban" in str(refused.value) and IBAN not in str(refused.value)
    assert gemini.requests == [] and chat_bodies(ollama) == []


def test_header_chooses_the_action(gateway, ollama, gemini):
    raw = gateway.client().chat.completions.with_raw_response.create(
        model="auto", messages=[{"role": "user", "content": f"Pay {IBAN}"}],
        extra_body={"privacy_mode": "flexible"}, extra_headers={"x-sensitive-data": "redact"})
    assert raw.headers["x-gateway-redacted"] == "iban:1"


def test_unknown_action_is_400(gateway, ollama, gemini):
    with pytest.raises(openai.BadRequestError) as refused:
        redacting(gateway, "hello", sensitive_data="shred")
    assert "escalate, redact, block" in str(refused.value)


def test_disguised_value_falls_back_to_escalation(gateway, ollama, gemini):
    raw = redacting(gateway, "ES91\u200b2100\u200b0418\u200b4502\u200b0005\u200b1332")
    assert raw.headers["x-gateway-privacy"] == "strict"
    assert gemini.requests == []


def test_explain_shows_what_would_be_redacted(gateway, ollama, gemini):
    image = media.text_image(f"IBAN {IBAN}", (1100, 160))
    parts = [{"type": "text", "text": f"mail {EMAIL}"}, {"type": "image", "file_index": 0}]
    explained = httpx.post(gateway.url("/v1/route/explain"), headers=gateway.auth, timeout=180, data={
        "privacy_mode": "flexible", "sensitive_data": "redact", "messages": json.dumps(
            [{"role": "user", "content": parts}])}, files={"files": ("scan.png", image, "image/png")}).json()
    assert explained["redacted"] == "email:1,iban:1" and explained["privacy"] == "flexible"
    assert explained["redaction_boxes"] and explained["redaction_boxes"][0]["where"] == "image"
    assert IBAN not in json.dumps(explained) and EMAIL not in json.dumps(explained)
    assert gemini.requests == []


def test_responses_api_redacts_too(gateway, ollama, gemini):
    response = gateway.client().responses.create(model="auto", input=f"Account {IBAN}",
                                                 extra_body={"privacy_mode": "flexible", "sensitive_data": "redact"})
    assert IBAN in response.output_text
    assert IBAN not in sent_to_gemini(gemini) and len(gemini_calls(gemini)) == 1


def test_names_and_addresses_in_a_pdfs_text_layer_and_scanned_page_are_blacked_out_by_default(gateway, ollama,
                                                                                             gemini):
    """Issue 39: person and address redact by default; a PDF is sent as page images with both blacked out,
    in the text layer's page and in a scanned page (checked by OCR of what Gemini received)."""
    from PIL import Image

    scanned = io.BytesIO()
    Image.open(io.BytesIO(media.text_image("Signed: Maria Lopez, Calle Mayor 128", (1200, 160)))).convert(
        "RGB").save(scanned, format="JPEG", quality=95)
    data = media.pdf_document([("text", "Please send it to David Miller at 12 Oxford Street today."),
                               ("image", scanned.getvalue()), ("text", "Quarterly summary attached.")])
    parts = [{"type": "text", "text": "Summarise"}, {"type": "file", "file_index": 0}]
    response = httpx.post(gateway.url("/v1/chat/completions"), headers=gateway.auth, timeout=300, data={
        "privacy_mode": "flexible", "messages": json.dumps([{"role": "user", "content": parts}])},
        files={"files": ("letter.pdf", data, "application/pdf")})
    assert response.status_code == 200, response.text
    assert response.headers["x-gateway-privacy"] == "flexible" and "x-gateway-escalated" not in response.headers
    assert "name:" in response.headers["x-gateway-redacted"] and "address:" in response.headers["x-gateway-redacted"]
    import pypdfium2

    (sent,) = _gemini_inline_files(gemini)
    document = pypdfium2.PdfDocument(sent)
    assert "".join(page.get_textpage().get_text_range() for page in document).strip() == ""  # no text layer
    read = ""
    for page in document:
        output = io.BytesIO()
        page.render(scale=2).to_pil().save(output, format="PNG")
        read += _ocr_text(output.getvalue())
    for value in ("DavidMiller", "OxfordStreet", "MariaLopez", "CalleMayor"):
        assert value not in read.replace(" ", ""), read  # OCR may drop the spaces
    assert "Quarterlysummary" in read.replace(" ", "")  # what holds no value is still there to read
    assert chat_bodies(ollama) == []
