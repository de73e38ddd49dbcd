"""Auth on every route, per-key upload reuse, nothing secret in logs or /health, strict stays local."""

from __future__ import annotations

import asyncio
import io
import json

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugins.attachments.file_api import FileApi
from tests import media
from tests.emulators import Fault
from tests.helpers import chat_bodies

HELLO = [{"role": "user", "content": "hello"}]


def chat_json() -> dict:
    return {"json": {"model": "auto", "messages": HELLO}}


def chat_form() -> dict:
    return {"data": {"task": "chat", "messages": json.dumps(HELLO)}}


ROUTES = [
    ("POST", "/v1/chat/completions", chat_json),
    ("POST", "/chat/completions", chat_json),
    ("POST", "/v1/chat/completions", chat_form),
    ("POST", "/v1/route/explain", chat_json),
    ("GET", "/v1/models", dict),
    ("POST", "/v1/embeddings", lambda: {"json": {"model": "bge-m3", "input": "hello"}}),
    ("POST", "/v1/embeddings/text", lambda: {"json": {"text": "hello"}}),
    ("POST", "/v1/embeddings/image", lambda: {"files": {"file": ("a.png", media.png(), "image/png")}}),
    ("POST", "/v1/embeddings/audio", lambda: {"files": {"file": ("a.wav", media.wav(), "audio/wav")}}),
    ("GET", "/v1/embeddings/models", dict),
]


@pytest.mark.parametrize(("method", "path", "body"), ROUTES, ids=[f"{m} {p} {b.__name__}" for m, p, b in ROUTES])
def test_every_route_needs_a_valid_key(gateway, ollama, gemini, method, path, body):
    for headers in ({}, {"Authorization": "Bearer sk-wrong"}):
        response = httpx.request(method, gateway.url(path), headers=headers, timeout=60, **body())
        assert response.status_code in (400, 401, 403), (headers, response.status_code, response.text)
        assert "error" in response.json()
    assert chat_bodies(ollama) == [] and gemini.requests == []
    response = httpx.request(method, gateway.url(path), headers=gateway.auth, timeout=60, **body())
    assert response.status_code == 200, response.text


def test_health_is_open_but_reveals_nothing(gateway):
    response = httpx.get(gateway.url("/health"))
    assert response.status_code == 200
    for secret in (gateway.master_key, "test-gemini-key", "http://", "OLLAMA", "GEMINI_API"):
        assert secret not in response.text


def test_upload_reuse_is_scoped_per_key(gemini, monkeypatch):
    """One key never obtains another key's file URI, even for identical bytes."""
    monkeypatch.setenv("GEMINI_API_KEY", gemini.api_key)
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", gemini.base_url)
    api = FileApi()
    data = media.mp3(100_000, seed=40)

    async def upload(scope: str):
        return await api.upload(io.BytesIO(data), "audio/mp3", "same-sha", scope)

    first, again, other = asyncio.run(_sequence(upload, ["key-a", "key-a", "key-b"]))
    assert first.uri == again.uri
    assert other.uri != first.uri
    assert gemini.upload_count == 2


async def _sequence(upload, scopes):
    return [await upload(scope) for scope in scopes]


def test_logs_hold_no_content_or_keys(gateway, ollama, gemini):
    marker = "CONFIDENTIAL-7f3a9c"
    image = media.text_image(marker)
    response = httpx.post(
        gateway.url("/v1/chat/completions"), headers=gateway.auth, timeout=60,
        data={"task": "vision", "privacy_mode": "flexible", "messages": json.dumps(
            [{"role": "user", "content": [{"type": "text", "text": marker}, {"type": "image", "file_index": 0}]}])},
        files={"files": ("a.png", image, "image/png")},
    )
    assert response.status_code == 200
    gemini.add_fault(Fault(path_pattern="generateContent", status=400, times=5))
    httpx.post(gateway.url("/v1/chat/completions"), headers=gateway.auth, timeout=60,
               json={"model": "auto", "privacy_mode": "flexible", "messages": [{"role": "user", "content": marker}]})
    log = gateway.log()
    assert marker not in log
    assert gateway.master_key not in log and "test-gemini-key" not in log


TASKS = st.sampled_from(["chat", "vision", "ocr"])
CARRIERS = st.sampled_from(["body", "metadata", "header", "default"])
ATTACHMENTS = st.sampled_from(["none", "png", "big-jpeg", "pdf", "wav", "mp4"])
FAULTS = st.sampled_from([None, 500, 404, 429])


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(task=TASKS, carrier=CARRIERS, attachment=ATTACHMENTS, fault=FAULTS, stream=st.booleans())
def test_property_strict_requests_never_reach_gemini(gateway, ollama, gemini, task, carrier, attachment, fault, stream):
    gemini.reset()
    ollama.reset()
    if fault:
        ollama.add_fault(Fault(path_pattern="/api/chat", status=fault, times=10))
    content: list = [{"type": "text", "text": "secret"}]
    files = {}
    if attachment != "none":
        data = {"png": media.png, "big-jpeg": lambda: media.noisy_jpeg(5 * media.MB, seed=41), "pdf": media.pdf,
                "wav": media.wav, "mp4": lambda: media.mp4(6 * media.MB, seed=42)}[attachment]()
        files = {"files": ("f.bin", data, "application/octet-stream")}
        content.append({"type": "file", "file_index": 0})
    fields = {"messages": json.dumps([{"role": "user", "content": content}]), "stream": str(stream).lower()}
    headers = dict(gateway.auth)
    if carrier == "body":
        fields.update(task=task, privacy_mode="strict")
    elif carrier == "metadata":
        fields["metadata"] = json.dumps({"task": task, "privacy_mode": "strict"})
    elif carrier == "header":
        headers.update({"x-task": task, "x-privacy-mode": "strict"})
    httpx.post(gateway.url("/v1/chat/completions"), headers=headers, data=fields, files=files or None, timeout=120)
    assert gemini.requests == []


def test_cloud_passthrough_routes_are_closed(gateway, gemini):
    for path in ("/gemini/v1beta/models/gemini-2.5-flash:generateContent", "/vertex_ai/v1/projects/x"):
        response = httpx.post(gateway.url(path), headers=gateway.auth, json={"contents": []})
        assert response.status_code == 403
    assert gemini.requests == []
