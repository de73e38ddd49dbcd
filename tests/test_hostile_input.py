"""Bounded memory and honest errors under hostile input: key before body, one body limit, bounded
decoders, admission control, and 400 (never 5xx) for malformed requests. Each case the fuzz tests or
the adversarial run found is here as an explicit regression test."""

from __future__ import annotations

import concurrent.futures
import json
import socket
import time

import httpx
import psutil
import pytest

from tests import media
from tests.helpers import camel, chat_bodies, gemini_calls, gemini_parts

MB = 1024 * 1024
HELLO = [{"role": "user", "content": "hello"}]


def rss(gateway) -> int:
    """Resident memory of the gateway process and its children."""
    process = psutil.Process(gateway.process.pid)
    return sum(proc.memory_info().rss for proc in [process, *process.children(recursive=True)])


def chunks(total: int, size: int = MB):
    block = b"x" * size
    for _ in range(total // size):
        yield block


@pytest.mark.parametrize("path", ["/v1/embeddings/text", "/v1/chat/completions", "/v1/responses",
                                  "/v1/route/explain", "/key/generate"])
def test_unauthenticated_body_is_refused_before_it_is_read(gateway, path):
    before = rss(gateway)
    started = time.monotonic()
    try:
        response = httpx.post(gateway.url(path), content=chunks(300 * MB), timeout=60,
                              headers={"content-type": "application/json"})
        status = response.status_code
    except httpx.HTTPError:  # the server may answer and close before the client finished sending
        status = 401
    assert status == 401
    assert time.monotonic() - started < 30
    assert rss(gateway) - before < 64 * MB


def test_wrong_key_is_401_without_a_database(gateway):
    response = httpx.post(gateway.url("/v1/chat/completions"), headers={"Authorization": "Bearer sk-wrong"},
                          json={"model": "auto", "messages": HELLO}, timeout=30)
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "authentication_error"


def test_declared_oversized_body_is_413_before_it_is_sent(gateway):
    with socket.create_connection(("127.0.0.1", gateway.port), timeout=30) as sock:
        sock.sendall(f"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {gateway.master_key}"
                     f"\r\nContent-Type: application/json\r\nContent-Length: {200 * MB}\r\n\r\n".encode())
        answer = ""
        while '"request_too_large"' not in answer and (chunk := sock.recv(65536)):
            answer += chunk.decode(errors="replace")
    assert answer.startswith("HTTP/1.1 413"), answer
    assert '"request_too_large"' in answer


def test_json_chat_body_over_the_limit_is_413(gateway, gemini):
    filler = "a" * (101 * MB)
    body = json.dumps({"model": "auto", "privacy_mode": "flexible",
                       "messages": [{"role": "user", "content": filler}]}).encode()
    response = httpx.post(gateway.url("/v1/chat/completions"), content=body, timeout=120,
                          headers={**gateway.auth, "content-type": "application/json"})
    assert response.status_code == 413
    assert gemini.requests == []


def test_streamed_body_over_the_limit_is_413(gateway):
    response = httpx.post(gateway.url("/v1/embeddings/text"), content=chunks(120 * MB), timeout=120,
                          headers={**gateway.auth, "content-type": "application/json"})
    assert response.status_code == 413


@pytest.mark.parametrize(("path", "body"), [
    ("/v1/chat/completions", [1, 2]),
    ("/v1/route/explain", [1, 2]),
    ("/v1/chat/completions", "just a string"),
    ("/v1/chat/completions", {"model": "auto", "messages": [{"role": "user", "content": [{"text": "no type"}]}]}),
    ("/v1/chat/completions", {"model": "auto", "messages": [{"role": "0", "content": "hi"}]}),
    ("/v1/chat/completions", {"model": "auto", "privacy_mode": "flexible",
                              "messages": [{"role": "user", "content": [{"type": "input_text"}]}]}),
    ("/v1/chat/completions", {"model": "auto", "messages": "not a list"}),
    ("/v1/chat/completions", {"model": "auto", "messages": []}),
    ("/v1/responses", {"model": "auto", "input": 42}),
    ("/v1/responses", {"model": "auto", "input": [{"type": "nonsense"}]}),
])
def test_malformed_requests_are_400(gateway, gemini, path, body):
    with httpx.Client(timeout=30) as client:  # one keep-alive connection: it must survive the error
        response = client.post(gateway.url(path), headers=gateway.auth, json=body)
        assert response.status_code == 400, response.text
        assert response.json()["error"]["message"]
        assert client.get(gateway.url("/health/liveliness")).status_code == 200
    assert gemini_calls(gemini) == []


def test_deeply_nested_json_is_400(gateway):
    deep = "[" * 5000 + "]" * 5000
    response = httpx.post(gateway.url("/v1/chat/completions"), headers={**gateway.auth, "content-type":
                                                                       "application/json"},
                          content=f'{{"model": "auto", "messages": {deep}}}', timeout=30)
    assert response.status_code == 400
    response = httpx.post(gateway.url("/v1/chat/completions"), headers=gateway.auth, timeout=30,
                          data={"messages": deep})
    assert response.status_code == 400, response.text


def test_multipart_role_zero_is_400(gateway):
    """Found by the multipart fuzz test on a fresh clone (role "0": LiteLLM's 'Invalid Message')."""
    response = httpx.post(gateway.url("/v1/chat/completions"), headers=gateway.auth, timeout=30,
                          data={"messages": json.dumps([{"role": "0", "content": "hi"}])})
    assert response.status_code == 400, response.text


def _pdf_form(data: bytes, privacy: str) -> dict:
    parts = [{"type": "text", "text": "Read"}, {"type": "file", "file_index": 0}]
    return {"data": {"task": "vision", "privacy_mode": privacy, "messages": json.dumps(
        [{"role": "user", "content": parts}])}, "files": {"files": ("bomb.pdf", data, "application/pdf")}}


@pytest.mark.parametrize("privacy", ["strict", "flexible"])
def test_page_bomb_pdf_is_rendered_within_bounds(gateway, gemini, privacy):
    before = rss(gateway)
    response = httpx.post(gateway.url("/v1/chat/completions"), headers=gateway.auth, timeout=120,
                          **_pdf_form(media.page_bomb_pdf(), privacy))
    assert response.status_code == 200, response.text
    assert rss(gateway) - before < 512 * MB


def test_heavy_local_work_is_admission_controlled(start_gateway, gemini):
    gateway = start_gateway({"gateway": {"local_work": {"workers": 1, "queue": 0, "retry_after_s": 3}}})
    data = media.pdf(12)  # twelve pages to render: long enough to overlap

    def send(_):
        return httpx.post(gateway.url("/v1/chat/completions"), headers=gateway.auth, timeout=120,
                          **_pdf_form(data, "strict"))

    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        responses = list(pool.map(send, range(6)))
        health = httpx.get(gateway.url("/health/liveliness"), timeout=10)
    statuses = sorted(response.status_code for response in responses)
    assert set(statuses) <= {200, 429}, [response.text for response in responses]
    assert 429 in statuses and 200 in statuses
    refused = next(response for response in responses if response.status_code == 429)
    assert refused.headers["retry-after"] == "3"
    assert health.status_code == 200
    assert gemini.requests == []


def test_unknown_route_and_model_use_the_openai_envelope(gateway):
    response = httpx.get(gateway.url("/v1/nothing-here"), headers=gateway.auth, timeout=30)
    assert response.status_code == 404 and set(response.json()["error"]) >= {"message", "type", "param", "code"}
    response = httpx.get(gateway.url("/v1/models/no-such-model"), headers=gateway.auth, timeout=30)
    assert response.status_code == 404 and response.json()["error"]["code"] == "model_not_found"
    response = httpx.get(gateway.url("/v1/models"), timeout=30)
    assert response.status_code == 401 and response.json()["error"]["param"] is None


# Issue 33, item 7: shapes LiteLLM answered with 500. Each is now a 400 naming the field, or read as OpenAI means it.
HI = [{"role": "user", "content": "hi"}]
TOOL_TURNS = [{"role": "user", "content": "weather?"},
              {"role": "assistant", "content": None, "tool_calls": [
                  {"id": "c1", "type": "function", "function": {"name": "weather", "arguments": {"city": "Lugo"}}}]},
              {"role": "tool", "tool_call_id": "c1", "content": "sunny"}]


@pytest.mark.parametrize("privacy", ["strict", "flexible"])
@pytest.mark.parametrize(("path", "body", "param"), [
    ("/v1/chat/completions", {"messages": HI, "response_format": "json"}, "response_format"),
    ("/v1/chat/completions", {"messages": HI, "response_format": {"type": "json"}}, "response_format"),
    ("/v1/chat/completions", {"messages": HI, "response_format": {"type": "json_schema", "json_schema": "x"}},
     "response_format.json_schema"),
    ("/v1/chat/completions", {"messages": [*TOOL_TURNS[:1], {**TOOL_TURNS[1], "tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "weather", "arguments": 7}}]}, TOOL_TURNS[2]]},
     "messages[1].tool_calls[0].function.arguments"),
    ("/v1/responses", {"input": "hi", "instructions": 42}, "instructions"),
    ("/v1/responses", {"input": "hi", "instructions": [{"role": "user", "content": [
        {"type": "input_image", "image_url": "https://example.org/a.png"}]}]}, "instructions"),
])
def test_shapes_litellm_answered_500_are_400(gateway, gemini, ollama, privacy, path, body, param):
    response = httpx.post(gateway.url(path), headers=gateway.auth, timeout=60,
                          json={"model": "auto", "privacy_mode": privacy, **body})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["param"] == param
    assert gemini_calls(gemini) == [] and chat_bodies(ollama) == []


@pytest.mark.parametrize("privacy", ["strict", "flexible"])
def test_tool_call_arguments_as_an_object_are_sent_as_json(gateway, gemini, ollama, privacy):
    response = httpx.post(gateway.url("/v1/chat/completions"), headers=gateway.auth, timeout=60,
                          json={"model": "auto", "privacy_mode": privacy, "messages": TOOL_TURNS})
    assert response.status_code == 200, response.text
    if privacy == "flexible":
        calls = [part["functionCall"] for part in gemini_parts(gemini) if "functionCall" in part]
        assert calls == [{"name": "weather", "args": {"city": "Lugo"}}]
    else:
        call = chat_bodies(ollama)[-1]["messages"][1]["tool_calls"][0]["function"]
        assert call["name"] == "weather" and call["arguments"] == {"city": "Lugo"}


def test_tool_call_arguments_as_an_object_are_scanned(gateway, gemini, ollama):
    turns = json.loads(json.dumps(TOOL_TURNS))
    turns[1]["tool_calls"][0]["function"]["arguments"] = {"account": {"iban": "ES91 2100 0418 4502 0005 1332"}}
    response = httpx.post(gateway.url("/v1/chat/completions"), headers=gateway.auth, timeout=60,
                          json={"model": "auto", "privacy_mode": "flexible", "messages": turns})
    assert response.status_code == 200, response.text
    assert response.headers["x-gateway-privacy"] == "strict"
    assert gemini_calls(gemini) == [] and chat_bodies(ollama)


@pytest.mark.parametrize("privacy", ["strict", "flexible"])
def test_responses_instructions_as_a_list_of_messages(gateway, gemini, ollama, privacy):
    """The shape a Response object echoes back: read as the one instructions string OpenAI's request takes."""
    instructions = [{"role": "system", "content": "Be brief."},
                    {"type": "message", "role": "developer",
                     "content": [{"type": "input_text", "text": "Use Spanish."}]}]
    response = httpx.post(gateway.url("/v1/responses"), headers=gateway.auth, timeout=60, json={
        "model": "auto", "privacy_mode": privacy, "input": "hi", "instructions": instructions})
    assert response.status_code == 200, response.text
    if privacy == "flexible":
        body = camel(gemini_calls(gemini)[-1].body)
        assert body["systemInstruction"]["parts"] == [{"text": "Be brief.\n\nUse Spanish."}]
    else:
        assert gemini_calls(gemini) == []
        system = chat_bodies(ollama)[-1]["messages"][0]
        assert (system["role"], system["content"]) == ("system", "Be brief.\n\nUse Spanish.")


def test_responses_instructions_list_is_scanned(gateway, gemini, ollama):
    instructions = [{"role": "system",
                     "content": [{"type": "input_text", "text": "Pay ES91 2100 0418 4502 0005 1332"}]}]
    response = httpx.post(gateway.url("/v1/responses"), headers=gateway.auth, timeout=60, json={
        "model": "auto", "privacy_mode": "flexible", "input": "hi", "instructions": instructions})
    assert response.status_code == 200, response.text
    assert response.headers["x-gateway-privacy"] == "strict"
    assert gemini_calls(gemini) == [] and chat_bodies(ollama)


def test_one_request_with_more_images_than_pool_places_is_admitted(gateway, gemini):
    """Admission counts requests, not jobs: twelve images (24 jobs: prepare and scan) in one flexible
    request, with the default pool of 2 workers + 8 waiting, are all read and sent."""
    parts = [{"type": "text", "text": "Compare these."}] + [
        {"type": "image_url", "image_url": {"url": media.data_uri("image/png", media.png(color=(20 * n, 90, 200)))}}
        for n in range(12)]
    response = httpx.post(gateway.url("/v1/chat/completions"), headers=gateway.auth, timeout=180, json={
        "model": "auto", "privacy_mode": "flexible", "messages": [{"role": "user", "content": parts}]})
    assert response.status_code == 200, response.text
    assert response.headers["x-gateway-privacy"] == "flexible"
    assert sum(1 for part in gemini_parts(gemini) if "inlineData" in part) == 12
