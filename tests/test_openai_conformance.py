"""Every response validates against OpenAI's spec; errors have OpenAI's statuses and SDK classes;
parameters a destination cannot honour are refused, never silently dropped."""

from __future__ import annotations

import json

import httpx
import jsonschema
import openai
import pytest

from tests import openai_schemas
from tests.emulators import Fault
from tests.helpers import camel, chat_bodies, gemini_calls

HELLO = [{"role": "user", "content": "hello"}]


def valid(instance: dict, schema: dict) -> dict:
    jsonschema.validate(instance, schema)
    return instance


@pytest.mark.parametrize("privacy", ["strict", "flexible"])
def test_chat_completion_matches_the_spec(gateway, ollama, gemini, privacy):
    response = httpx.post(gateway.url("/v1/chat/completions"), headers=gateway.auth, timeout=60,
                          json={"model": "auto", "messages": HELLO, "privacy_mode": privacy})
    body = valid(response.json(), openai_schemas.CHAT_COMPLETION)
    choice = body["choices"][0]
    assert choice["logprobs"] is None and choice["message"]["refusal"] is None
    text = json.dumps(body)
    assert "vertex_ai" not in text and "provider_specific_fields" not in text and "thinking_blocks" not in text


def _chunks(response: httpx.Response) -> list[dict]:
    events = [line[6:] for line in response.text.splitlines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    return [json.loads(event) for event in events[:-1]]


@pytest.mark.parametrize("privacy", ["strict", "flexible"])
def test_stream_chunks_match_the_spec(gateway, ollama, gemini, privacy):
    response = httpx.post(gateway.url("/v1/chat/completions"), headers=gateway.auth, timeout=60, json={
        "model": "auto", "messages": HELLO, "privacy_mode": privacy, "stream": True,
        "stream_options": {"include_usage": True}})
    chunks = _chunks(response)
    for chunk in chunks:
        valid(chunk, openai_schemas.CHAT_CHUNK)
    assert len({chunk["id"] for chunk in chunks}) == 1
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["total_tokens"] > 0
    assert any(choice["finish_reason"] for chunk in chunks for choice in chunk["choices"])


def test_sdk_stream_with_usage(gateway, ollama, gemini):
    stream = gateway.client().chat.completions.create(model="auto", messages=HELLO, stream=True,
                                                      stream_options={"include_usage": True})
    chunks = list(stream)
    assert chunks[-1].usage is not None and chunks[-1].choices == []
    assert "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)


def test_embeddings_and_models_match_the_spec(gateway):
    response = httpx.post(gateway.url("/v1/embeddings"), headers=gateway.auth, timeout=120,
                          json={"model": "bge-m3", "input": ["a", "b"]})
    valid(response.json(), openai_schemas.EMBEDDINGS)
    valid(httpx.get(gateway.url("/v1/models"), headers=gateway.auth).json(), openai_schemas.MODELS)


ERROR_CASES = [  # (body, key, status, SDK exception)
    ({"model": "auto", "messages": HELLO, "task": "dance"}, None, 400, openai.BadRequestError),
    ({"model": "auto", "messages": HELLO}, "sk-wrong", 401, openai.AuthenticationError),
    ({"model": "chat-flexible", "messages": HELLO, "privacy_mode": "strict"}, None, 403, openai.PermissionDeniedError),
    ({"model": "gpt-4o", "messages": HELLO}, None, 404, openai.NotFoundError),
]


@pytest.mark.parametrize(("body", "key", "status", "exception"), ERROR_CASES, ids=[str(c[2]) for c in ERROR_CASES])
def test_errors_match_the_spec_and_the_sdk_classes(gateway, ollama, gemini, body, key, status, exception):
    key = key or gateway.master_key
    response = httpx.post(gateway.url("/v1/chat/completions"), headers={"Authorization": f"Bearer {key}"},
                          timeout=60, json=body)
    assert response.status_code == status, response.text
    valid(response.json(), openai_schemas.ERROR)
    client = openai.OpenAI(base_url=gateway.url("/v1"), api_key=key, max_retries=0)
    extra = {name: body[name] for name in ("task", "privacy_mode") if name in body}
    with pytest.raises(exception):
        client.chat.completions.create(model=body["model"], messages=body["messages"], extra_body=extra)
    assert gemini_calls(gemini) == []


def test_a_file_strict_cannot_take_is_422(gateway, ollama, gemini):
    response = httpx.post(gateway.url("/v1/chat/completions"), headers=gateway.auth, timeout=60, json={
        "model": "auto", "privacy_mode": "strict", "messages": [{"role": "user", "content": [
            {"type": "text", "text": "hi"}, {"type": "file", "file": {"file_id": "files/abc123"}}]}]})
    assert response.status_code == 422, response.text
    valid(response.json(), openai_schemas.ERROR)
    assert gemini.requests == []


def test_rate_limit_429_carries_retry_after(gateway, ollama, gemini):
    gemini.add_fault(Fault(path_pattern="generateContent", status=429, times=10))
    response = httpx.post(gateway.url("/v1/chat/completions"), headers=gateway.auth, timeout=60,
                          json={"model": "auto", "messages": HELLO, "privacy_mode": "flexible"})
    assert response.status_code == 429
    assert response.headers.get("retry-after")
    valid(response.json(), openai_schemas.ERROR)


@pytest.mark.parametrize(("privacy", "params"), [
    ("strict", {"n": 2}), ("strict", {"logprobs": True}), ("strict", {"top_logprobs": 2, "logprobs": True}),
    ("flexible", {"top_logprobs": 2, "logprobs": True}), ("flexible", {"presence_penalty": 0.5}),
    ("flexible", {"frequency_penalty": 0.5}),
])
def test_parameters_a_backend_cannot_honour_are_refused(gateway, ollama, gemini, privacy, params):
    with pytest.raises(openai.BadRequestError) as refused:
        gateway.client().chat.completions.create(model="auto", messages=HELLO, extra_body={"privacy_mode": privacy},
                                                 **params)
    assert refused.value.body["param"] in params
    assert chat_bodies(ollama) == [] and gemini_calls(gemini) == []


def test_parameters_at_their_defaults_are_accepted(gateway, ollama, gemini):
    reply = gateway.client().chat.completions.create(model="auto", messages=HELLO, n=1, presence_penalty=0,
                                                     frequency_penalty=0, logprobs=False)
    assert reply.choices[0].message.content


@pytest.mark.parametrize(("params", "param"), [
    ({"input": [[1, 2, 3]]}, "input"), ({"input": [1, 2, 3]}, "input"), ({"input": "a", "dimensions": 8}, "dimensions"),
])
def test_embedding_parameters_are_refused_not_ignored(gateway, params, param):
    with pytest.raises(openai.BadRequestError) as refused:
        gateway.client().embeddings.create(model="bge-m3", **params)
    assert refused.value.body["param"] == param


def test_gemini_retry_delay_becomes_retry_after_without_blind_retries(gateway, ollama, gemini):
    body = {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "message": "Quota exceeded.", "details": [
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "17s"}]}}
    gemini.add_fault(Fault(path_pattern="generateContent", status=429, body=body, times=10))
    response = httpx.post(gateway.url("/v1/chat/completions"), headers=gateway.auth, timeout=60,
                          json={"model": "auto", "messages": HELLO, "privacy_mode": "flexible"})
    assert response.status_code == 429
    assert response.headers["retry-after"] == "17"
    assert len(gemini_calls(gemini)) == 1
    valid(response.json(), openai_schemas.ERROR)


def test_gemini_unavailable_stays_503(gateway, ollama, gemini):
    body = {"error": {"code": 503, "status": "UNAVAILABLE", "message": "The model is overloaded."}}
    gemini.add_fault(Fault(path_pattern="generateContent", status=503, body=body, times=10))
    response = httpx.post(gateway.url("/v1/chat/completions"), headers=gateway.auth, timeout=60,
                          json={"model": "auto", "messages": HELLO, "privacy_mode": "flexible"})
    assert response.status_code == 503, response.text
    assert response.headers.get("retry-after")
    valid(response.json(), openai_schemas.ERROR)


def test_short_max_tokens_still_gets_an_answer_from_gemini(gateway, ollama, gemini):
    """Gemini 2.5 would spend a short budget on thinking; the gateway gives the limit to the answer."""
    reply = gateway.client().chat.completions.create(model="auto", messages=HELLO, max_tokens=6,
                                                     extra_body={"privacy_mode": "flexible"})
    assert reply.choices[0].message.content
    config = camel(gemini_calls(gemini)[-1].body)["generationConfig"]
    assert config["thinkingConfig"]["thinkingBudget"] == 0


def test_thinking_models_answer_with_reasoning_content(gateway, ollama, gemini):
    """qwen3 models think by default on a real Ollama: the thinking comes back as reasoning_content."""
    body = {"model": "vision-strict", "messages": HELLO}
    reply = httpx.post(gateway.url("/v1/chat/completions"), headers=gateway.auth, json=body, timeout=60).json()
    valid(reply, openai_schemas.CHAT_COMPLETION)
    assert reply["choices"][0]["message"]["content"].startswith("qwen3-vl:8b says:")
    assert reply["choices"][0]["message"]["reasoning_content"]
    streamed = httpx.post(gateway.url("/v1/chat/completions"), headers=gateway.auth, timeout=60,
                          json={**body, "stream": True})
    chunks = _chunks(streamed)
    assert any(choice["delta"].get("reasoning_content") for chunk in chunks for choice in chunk["choices"])
    assert "".join(choice["delta"].get("content") or "" for chunk in chunks for choice in chunk["choices"])
