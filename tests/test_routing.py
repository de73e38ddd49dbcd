"""Gateway core: every (task, privacy) pair reaches the right backend and model, via every carrier."""

from __future__ import annotations

import httpx
import openai
import pytest

from tests.helpers import chat_bodies, gemini_calls, tiny_png_data_uri

STRICT_MODELS = {
    "chat": "CognitiveComputations/dolphin-mistral-nemo:latest",
    "vision": "qwen3-vl:8b",
    "ocr": "deepseek-ocr:3b",
}
HELLO = [{"role": "user", "content": "hello"}]


@pytest.mark.parametrize("task", ["chat", "vision", "ocr"])
def test_strict_routes_reach_ollama_with_the_task_model(gateway, ollama, gemini, task):
    raw = gateway.client().chat.completions.with_raw_response.create(
        model="auto", messages=HELLO, extra_body={"task": task, "privacy_mode": "strict"}
    )
    reply = raw.parse()
    assert reply.model == f"{task}-strict"
    assert raw.headers["x-gateway-task"] == task
    assert raw.headers["x-gateway-privacy"] == "strict"
    assert raw.headers["x-gateway-group"] == f"{task}-strict"
    assert STRICT_MODELS[task] in raw.headers["x-gateway-model"]
    bodies = chat_bodies(ollama)
    assert [body["model"] for body in bodies] == [STRICT_MODELS[task]]
    assert "task" not in bodies[0] and "privacy_mode" not in bodies[0]
    assert gemini_calls(gemini) == []


@pytest.mark.parametrize("task", ["chat", "vision", "ocr"])
def test_flexible_routes_reach_gemini(gateway, ollama, gemini, task):
    raw = gateway.client().chat.completions.with_raw_response.create(
        model="auto", messages=HELLO, extra_body={"task": task, "privacy_mode": "flexible"}
    )
    reply = raw.parse()
    assert reply.model == f"{task}-flexible"
    assert raw.headers["x-gateway-privacy"] == "flexible"
    assert "gemini-2.5-flash" in raw.headers["x-gateway-model"]
    calls = gemini_calls(gemini)
    assert len(calls) == 1 and "gemini-2.5-flash:generateContent" in calls[0].path
    assert "task" not in calls[0].body and "privacy_mode" not in calls[0].body
    assert "gemini-2.5-flash says: hello" in reply.choices[0].message.content
    assert chat_bodies(ollama) == []


def test_carriers_in_precedence_body_then_metadata_then_headers(gateway, ollama, gemini):
    client = gateway.client()
    # header only
    raw = client.chat.completions.with_raw_response.create(
        model="auto", messages=HELLO, extra_headers={"x-task": "ocr", "x-privacy-mode": "strict"}
    )
    assert raw.parse().model == "ocr-strict"
    # metadata beats headers
    raw = client.chat.completions.with_raw_response.create(
        model="auto",
        messages=HELLO,
        metadata={"task": "vision", "privacy_mode": "strict"},
        extra_headers={"x-task": "ocr"},
    )
    assert raw.parse().model == "vision-strict"
    assert raw.headers["x-gateway-task"] == "vision"
    # body beats metadata and headers
    raw = client.chat.completions.with_raw_response.create(
        model="auto",
        messages=HELLO,
        metadata={"task": "vision"},
        extra_headers={"x-task": "ocr"},
        extra_body={"task": "chat"},
    )
    assert raw.parse().model == "chat-strict"
    for body in chat_bodies(ollama):
        assert "task" not in body and "privacy_mode" not in body and "metadata" not in body
    assert gemini_calls(gemini) == []


def test_defaults_are_strict_chat_and_vision_for_images(gateway, ollama, gemini):
    client = gateway.client()
    assert client.chat.completions.create(model="auto", messages=HELLO).model == "chat-strict"
    with_image = [{"role": "user", "content": [
        {"type": "text", "text": "what is this"},
        {"type": "image_url", "image_url": {"url": tiny_png_data_uri()}},
    ]}]
    raw = client.chat.completions.with_raw_response.create(model="auto", messages=with_image)
    assert raw.parse().model == "vision-strict"
    assert raw.headers["x-gateway-privacy"] == "strict"
    bodies = chat_bodies(ollama)
    assert bodies[-1]["model"] == STRICT_MODELS["vision"]
    assert len(bodies[-1]["messages"][-1]["images"]) == 1
    assert gemini_calls(gemini) == []


def test_model_may_name_a_group(gateway, ollama, gemini):
    client = gateway.client()
    assert client.chat.completions.create(model="ocr-strict", messages=HELLO).model == "ocr-strict"
    assert chat_bodies(ollama)[-1]["model"] == STRICT_MODELS["ocr"]
    assert client.chat.completions.create(model="vision-flexible", messages=HELLO).model == "vision-flexible"
    assert len(gemini_calls(gemini)) == 1


def test_strict_request_for_a_flexible_group_is_refused(gateway, ollama, gemini):
    with pytest.raises(openai.PermissionDeniedError) as refused:
        gateway.client().chat.completions.create(
            model="chat-flexible", messages=HELLO, extra_body={"privacy_mode": "strict"}
        )
    assert "strict" in str(refused.value)
    assert gemini_calls(gemini) == [] and chat_bodies(ollama) == []


@pytest.mark.parametrize(
    ("extra", "allowed"),
    [({"task": "translate"}, "chat, vision, ocr"), ({"privacy_mode": "public"}, "strict, flexible")],
)
def test_unknown_values_are_400_naming_the_allowed_ones(gateway, ollama, gemini, extra, allowed):
    with pytest.raises(openai.BadRequestError) as refused:
        gateway.client().chat.completions.create(model="auto", messages=HELLO, extra_body=extra)
    assert allowed in str(refused.value)
    assert gemini_calls(gemini) == [] and chat_bodies(ollama) == []


def test_unknown_model_is_404_model_not_found(gateway, ollama, gemini):
    with pytest.raises(openai.NotFoundError) as refused:
        gateway.client().chat.completions.create(model="gpt-4o", messages=HELLO)
    assert "chat-strict" in str(refused.value)
    assert refused.value.code == "model_not_found"
    assert gemini_calls(gemini) == []


def test_client_sent_fallbacks_cannot_leave_strict(gateway, ollama, gemini):
    with pytest.raises(openai.PermissionDeniedError):
        gateway.client().chat.completions.create(
            model="auto", messages=HELLO, extra_body={"privacy_mode": "strict", "fallbacks": ["chat-flexible"]}
        )
    assert gemini_calls(gemini) == []


@pytest.mark.parametrize("privacy", ["strict", "flexible"])
def test_streaming_on_both_sides(gateway, ollama, gemini, privacy):
    stream = gateway.client().chat.completions.create(
        model="auto", messages=HELLO, stream=True, extra_body={"task": "chat", "privacy_mode": privacy}
    )
    chunks = list(stream)
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)
    assert "hello" in text
    assert {chunk.model for chunk in chunks} == {f"chat-{privacy}"}
    if privacy == "strict":
        assert chat_bodies(ollama)[-1]["stream"] is True
        assert gemini_calls(gemini) == []
    else:
        assert "streamGenerateContent" in gemini_calls(gemini)[-1].path


def test_models_lists_the_groups(gateway):
    listed = {model.id for model in gateway.client().models.list()}
    assert {f"{task}-{privacy}" for task in STRICT_MODELS for privacy in ("strict", "flexible")} <= listed


def test_health_needs_no_key_and_reveals_no_secrets(gateway, ollama, gemini):
    response = httpx.get(gateway.url("/health"))
    assert response.status_code == 200
    report = response.json()
    assert report["backends"]["ollama"]["reachable"] is True
    assert report["backends"]["gemini"]["reachable"] is True
    assert all(report["backends"]["ollama"]["models"].values())
    text = response.text
    for secret in (gateway.master_key, "test-gemini-key", ollama.base_url, gemini.base_url, "127.0.0.1"):
        assert secret not in text


def test_swagger_docs_are_served(gateway):
    assert httpx.get(gateway.url("/docs")).status_code == 200
    assert "/health" in httpx.get(gateway.url("/openapi.json"), timeout=120).json()["paths"]


def test_chat_needs_a_key(gateway, ollama, gemini):
    response = httpx.post(gateway.url("/v1/chat/completions"), json={"model": "auto", "messages": HELLO})
    assert response.status_code == 401
    assert chat_bodies(ollama) == [] and gemini_calls(gemini) == []


def test_a_runtime_fallback_across_privacy_classes_is_a_400_and_changes_nothing(gateway, ollama, gemini):
    """Issue 29, 7: an admin's `POST /fallback` from a strict group to a flexible one is refused with the
    reason, not a 500; the strict group still falls back to nothing in the cloud."""
    rule = {"model": "chat-strict", "fallback_models": ["chat-flexible"], "fallback_type": "general"}
    response = httpx.post(gateway.url("/fallback"), headers=gateway.auth, json=rule, timeout=30)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "fallback_crosses_privacy"
    assert "privacy classes" in response.json()["error"]["message"]
    listed = httpx.get(gateway.url("/fallback/chat-strict"), headers=gateway.auth, timeout=30)
    assert "chat-flexible" not in listed.text
    assert gemini.requests == []
