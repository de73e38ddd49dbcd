"""Fail closed on every surface: routes that would bypass the policy are refused, the ones served go
through it, and the last-step guard stops a cloud call the policy never approved."""

from __future__ import annotations

import httpx
import openai
import pytest

from tests import media
from tests.helpers import chat_bodies, gemini_calls

IBAN = "ES9121000418450200051332"
HELLO = [{"role": "user", "content": "hello"}]

# Each of these carried strict or sensitive content to Gemini before (adversarial run, issue 12).
REFUSED = [
    ("POST", "/v1/completions", {"model": "chat-flexible", "prompt": IBAN}),
    ("POST", "/completions", {"model": "chat-flexible", "prompt": IBAN}),
    ("POST", "/engines/chat-flexible/completions", {"prompt": IBAN}),
    ("POST", "/v1/messages", {"model": "chat-flexible", "max_tokens": 5,
                              "messages": [{"role": "user", "content": IBAN}]}),
    ("POST", "/v1/messages/count_tokens", {"model": "chat-flexible", "messages": [{"role": "user", "content": IBAN}]}),
    ("POST", "/v1/audio/speech", {"model": "chat-flexible", "input": IBAN, "voice": "alloy"}),
    ("POST", "/audio/transcriptions", {"model": "chat-flexible"}),  # /v1/audio/transcriptions is served locally
    ("POST", "/v1/images/generations", {"model": "chat-flexible", "prompt": IBAN}),
    ("POST", "/v1/videos", {"model": "chat-flexible", "prompt": IBAN}),
    ("POST", "/interactions", {"model": "chat-flexible", "input": IBAN}),
    ("POST", "/v1/batches", {"input_file_id": "file-x", "endpoint": "/v1/chat/completions"}),
    ("POST", "/v1beta/models/gemini-2.5-flash:generateContent", {"contents": [{"parts": [{"text": IBAN}]}]}),
    ("POST", "/v1beta/models/gemini-2.5-flash:streamGenerateContent", {"contents": [{"parts": [{"text": IBAN}]}]}),
    ("POST", "/models/gemini-2.5-flash:countTokens", {"contents": [{"parts": [{"text": IBAN}]}]}),
    ("GET", "/v1/responses/resp_abc", None),
    ("POST", "/v1/rerank", {"model": "chat-flexible", "query": IBAN, "documents": ["a"]}),
    ("POST", "/v1/moderations", {"model": "chat-flexible", "input": IBAN}),
    ("POST", "/anthropic/v1/messages", {"model": "x", "messages": []}),
    ("POST", "/openai/v1/chat/completions", {"model": "chat-flexible", "messages": HELLO}),
    ("POST", "/v1/realtime/client_secrets", {}),
    ("POST", "/v1/assistants", {"model": "chat-flexible"}),
    ("POST", "/v1/vector_stores", {"name": "x"}),
    ("POST", "/mcp/tools/call", {}),
]


@pytest.mark.parametrize(("method", "path", "body"), REFUSED, ids=[f"{m} {p}" for m, p, _ in REFUSED])
def test_routes_that_bypass_the_policy_are_refused(gateway, ollama, gemini, method, path, body):
    response = httpx.request(method, gateway.url(path), headers=gateway.auth, json=body, timeout=30)
    assert response.status_code == 404, response.text
    error = response.json()["error"]
    assert set(error) >= {"message", "type", "param", "code"} and "privacy" in error["message"]
    assert gemini.requests == [] and chat_bodies(ollama) == []


def test_route_table_is_fully_classified(gateway):
    """Every route of the live app is the gateway's, policy-routed, refused or admin: a LiteLLM upgrade
    that adds a route fails here until someone classifies it in plugins/surfaces/route_table.py."""
    table = httpx.get(gateway.url("/v1/gateway/surfaces"), headers=gateway.auth, timeout=30).json()
    assert table.get("unclassified", []) == []
    assert "/v1/chat/completions" in table["gateway"] + table["policy"] and "/v1/responses" in table["policy"]
    assert "/v1/embeddings" in table["policy"]
    for path in table["admin"]:  # nothing that reaches a model hides among the admin routes
        assert not any(word in path for word in ("completions", "generateContent", "/v1/messages", "/audio/",
                                                  "/images/", "/responses", "/batches", "/realtime")), path
    from litellm.proxy._types import LiteLLMRoutes

    from plugins.surfaces.route_table import normalise

    live = {normalise(path) for kind in ("policy", "refused", "admin", "gateway") for path in table.get(kind, [])}
    refused = {normalise(path) for path in table["refused"]}
    policy = {normalise(path) for path in table["policy"] + table["gateway"]}
    for path in LiteLLMRoutes.llm_api_routes.value:
        if normalise(path) in live:
            assert normalise(path) in refused | policy, path


def test_surface_listing_needs_an_admin_key(gateway):
    assert httpx.get(gateway.url("/v1/gateway/surfaces"), timeout=30).status_code == 401


def test_last_step_guard_refuses_an_unrouted_cloud_call(start_gateway, gemini):
    """A route opened on purpose that bypasses the hook's policy (LiteLLM's connection test calls the
    provider directly): the guard before the provider call still refuses the cloud call."""
    gateway = start_gateway({"gateway": {"surface": {"open": ["/health/test_connection"]}}})
    response = httpx.post(gateway.url("/health/test_connection"), headers=gateway.auth, timeout=60, json={
        "mode": "chat", "litellm_params": {"model": "chat-flexible", "messages": [{"role": "user", "content": IBAN}]},
    })
    assert gemini_calls(gemini) == [], response.text
    assert "cloud" in response.text.lower() or response.status_code >= 400, response.text


def test_responses_api_strict_stays_local(gateway, ollama, gemini):
    client = gateway.client()
    raw = client.responses.with_raw_response.create(model="auto", input="Summarise: " + IBAN,
                                                    extra_body={"privacy_mode": "strict"})
    response = raw.parse()
    assert response.output_text
    assert raw.headers["x-gateway-privacy"] == "strict" and raw.headers["x-gateway-group"] == "chat-strict"
    assert gemini.requests == []
    assert IBAN in str(chat_bodies(ollama)[-1]["messages"])


def test_responses_api_defaults_to_strict(gateway, ollama, gemini):
    raw = gateway.client().responses.with_raw_response.create(model="auto", input="hello")
    assert raw.headers["x-gateway-privacy"] == "strict"
    assert gemini.requests == []


def test_responses_api_flexible_reaches_gemini(gateway, ollama, gemini):
    raw = gateway.client().responses.with_raw_response.create(
        model="auto", input="hello", instructions="Be brief.", extra_headers={"x-privacy-mode": "flexible"})
    assert raw.parse().output_text
    assert raw.headers["x-gateway-privacy"] == "flexible"
    assert len(gemini_calls(gemini)) == 1 and chat_bodies(ollama) == []


@pytest.mark.parametrize("where", ["input", "instructions", "image"])
def test_responses_api_escalates_sensitive_input(gateway, ollama, gemini, where):
    input_value: object = "hello"
    instructions = None
    if where == "input":
        input_value = [{"role": "user", "content": [{"type": "input_text", "text": "pay " + IBAN}]}]
    elif where == "instructions":
        instructions = "The account is " + IBAN
    else:
        image = media.data_uri("image/png", media.text_image(f"IBAN {IBAN}", (1100, 160)))
        input_value = [{"role": "user", "content": [{"type": "input_text", "text": "read this"},
                                                    {"type": "input_image", "image_url": image}]}]
    raw = gateway.client().responses.with_raw_response.create(
        model="auto", input=input_value, instructions=instructions, extra_body={"privacy_mode": "flexible"})
    assert raw.headers["x-gateway-privacy"] == "strict"
    assert raw.headers["x-gateway-escalated"] == "sensitive-data"
    assert gemini.requests == []


def test_responses_api_streams_strict(gateway, ollama, gemini):
    events = list(gateway.client().responses.create(model="auto", input="hello", stream=True,
                                                    extra_body={"privacy_mode": "strict"}))
    assert events and events[-1].type == "response.completed"
    assert gemini.requests == []


def test_responses_api_strict_refuses_a_flexible_group(gateway, ollama, gemini):
    with pytest.raises(openai.PermissionDeniedError):
        gateway.client().responses.create(model="chat-flexible", input=IBAN, extra_body={"privacy_mode": "strict"})
    with pytest.raises(openai.NotFoundError):
        gateway.client().responses.create(model="gemini/gemini-2.5-flash", input=IBAN)
    assert gemini.requests == []


@pytest.mark.parametrize("path", ["/v1/embeddings", "/v1/embeddings/text"])
def test_embeddings_accept_only_embedding_groups(gateway, ollama, gemini, path):
    body = {"model": "chat-flexible", "input": IBAN} if path == "/v1/embeddings" else {"model": "chat-flexible",
                                                                                         "text": IBAN}
    response = httpx.post(gateway.url(path), headers=gateway.auth, json=body, timeout=60)
    assert response.status_code == 400, response.text
    assert "bge-m3" in response.json()["error"]["message"]
    assert gemini.requests == []


@pytest.mark.parametrize("field", [
    {"custom_llm_provider": "gemini"}, {"api_base": "http://evil.example"}, {"base_url": "http://evil.example"},
    {"api_key": "sk-x"}, {"api_version": "v1"}, {"extra_headers": {"x": "y"}}, {"aws_region_name": "eu"},
    {"vertex_project": "p"},
])
def test_client_provider_settings_are_refused(gateway, ollama, gemini, field):
    response = httpx.post(gateway.url("/v1/chat/completions"), headers=gateway.auth, timeout=60,
                          json={"model": "auto", "messages": HELLO, "privacy_mode": "strict", **field})
    assert response.status_code == 400, response.text
    assert gemini.requests == [] and chat_bodies(ollama) == []
    response = httpx.post(gateway.url("/v1/responses"), headers=gateway.auth, timeout=60,
                          json={"model": "auto", "input": "hi", **field})
    assert response.status_code == 400, response.text


def test_open_health_does_not_call_the_cloud_each_time(gateway, gemini):
    for _ in range(5):
        assert httpx.get(gateway.url("/health"), timeout=30).status_code == 200
    assert len([record for record in gemini.requests if record.method == "GET"]) <= 1
