"""Backend faults: clear errors, retries only inside the request's privacy class, no hangs."""

from __future__ import annotations

import json
import time

import openai
import pytest
import requests

from tests import media
from tests.emulators import Fault
from tests.helpers import chat_bodies, gemini_calls

HELLO = [{"role": "user", "content": "hello"}]
MB = media.MB


def ask(gateway, privacy: str, task: str = "chat", **kwargs):
    return gateway.client().chat.completions.create(
        model="auto", messages=HELLO, extra_body={"task": task, "privacy_mode": privacy}, **kwargs
    )


def test_model_not_pulled_is_404_naming_the_pull_command(gateway, ollama, gemini):
    ollama.models.remove("CognitiveComputations/dolphin-mistral-nemo:latest")
    try:
        with pytest.raises(openai.NotFoundError) as missing:
            ask(gateway, "strict")
    finally:
        ollama.models.append("CognitiveComputations/dolphin-mistral-nemo:latest")
    assert "ollama pull CognitiveComputations/dolphin-mistral-nemo" in str(missing.value)
    assert gemini.requests == []


def test_ocr_falls_back_to_the_local_vision_model_never_the_cloud(gateway, ollama, gemini):
    ollama.models.remove("deepseek-ocr:3b")
    try:
        reply = ask(gateway, "strict", task="ocr")
    finally:
        ollama.models.append("deepseek-ocr:3b")
    assert reply.model == "vision-strict"
    assert chat_bodies(ollama)[-1]["model"] == "qwen3-vl:8b"
    assert gemini.requests == []


def test_ollama_down_is_503_and_strict_is_never_sent_to_the_cloud(gateway, ollama, gemini):
    ollama.stop()
    try:
        with pytest.raises(openai.InternalServerError) as down:
            ask(gateway, "strict")
    finally:
        ollama.start(ollama.port)
    assert down.value.status_code == 503
    assert "ollama serve" in str(down.value) and "OLLAMA_API_BASE" in str(down.value)
    assert gemini.requests == []


def test_ollama_errors_are_retried_locally_only(gateway, ollama, gemini):
    ollama.add_fault(Fault(path_pattern="/api/chat", status=500, times=1))
    assert ask(gateway, "strict").model == "chat-strict"
    assert len(chat_bodies(ollama)) == 2
    ollama.add_fault(Fault(path_pattern="/api/chat", status=500, times=10))
    with pytest.raises(openai.APIStatusError) as failed:
        ask(gateway, "strict")
    assert failed.value.status_code == 502 and "local model backend (Ollama)" in str(failed.value)  # never a 500
    assert gemini.requests == []


@pytest.mark.parametrize("status", [500, 503])
def test_gemini_server_errors_are_retried_inside_flexible(gateway, ollama, gemini, status):
    gemini.add_fault(Fault(path_pattern="generateContent", status=status, times=1))
    reply = ask(gateway, "flexible")
    assert reply.model == "chat-flexible"
    assert len(gemini_calls(gemini)) == 2
    assert chat_bodies(ollama) == []


def test_gemini_rate_limit_surfaces_as_429_without_switching_class(gateway, ollama, gemini):
    gemini.add_fault(Fault(path_pattern="generateContent", status=429, times=10,
                           body={"error": {"code": 429, "message": "Resource exhausted",
                                           "status": "RESOURCE_EXHAUSTED"}}))
    with pytest.raises(openai.RateLimitError) as limited:
        ask(gateway, "flexible")
    assert limited.value.status_code == 429
    assert chat_bodies(ollama) == []


@pytest.mark.parametrize("privacy", ["strict", "flexible"])
def test_upstream_dying_mid_stream_ends_the_stream_with_an_error(gateway, ollama, gemini, privacy):
    backend = ollama if privacy == "strict" else gemini
    backend.add_fault(Fault(path_pattern="chat|streamGenerateContent", status=200, die_mid_stream=True, times=10))
    stream = gateway.client(timeout=60).chat.completions.create(
        model="auto", messages=HELLO, stream=True, extra_body={"task": "chat", "privacy_mode": privacy}
    )
    with pytest.raises(openai.APIError):
        for _ in stream:
            pass
    if privacy == "strict":
        assert gemini.requests == []


def fields(kind: str = "audio") -> dict:
    parts = [{"type": "text", "text": "x"}, {"type": kind, "file_index": 0}]
    return {"task": "vision", "privacy_mode": "flexible", "messages": json.dumps([{"role": "user", "content": parts}])}


def post_file(gateway, data: bytes, kind: str = "audio"):
    return requests.post(gateway.url("/v1/chat/completions"), data=fields(kind), headers=gateway.auth,
                         files=[("files", ("f.bin", data, "application/octet-stream"))])


def test_expired_cached_upload_is_uploaded_again(gateway, ollama, gemini):
    data = media.mp3(5 * MB, seed=30)
    assert post_file(gateway, data).status_code == 200
    for file_id in list(gemini.files):
        gemini.expire_file(file_id)
    response = post_file(gateway, data)
    assert response.status_code == 200, response.text
    assert gemini.upload_count == 2


def test_an_upload_cut_once_is_started_again_and_answered(gateway, ollama, gemini):
    """Issue 30.5: a chunk refused with a 503, then a connection dropped mid-upload: uploaded again, 200."""
    for fault in (Fault(path_pattern="upload_id=", status=503), Fault(path_pattern="upload_id=", drop_connection=True)):
        gemini.clear()
        gemini.add_fault(fault)
        response = post_file(gateway, media.mp3(9 * MB, seed=33 + fault.drop_connection))
        assert response.status_code == 200, response.text
        starts = [r for r in gemini.requests if r.path.startswith("/upload/") and "upload_id" not in r.query]
        assert len(starts) == 2 and gemini.upload_count == 1 and gemini.generate_count == 1
        assert gemini.peak_chunk_bytes <= 8 * MB  # streamed in chunks, never the whole file at once


def test_an_upload_that_keeps_failing_is_a_clear_502(start_gateway, ollama, gemini):
    quick = start_gateway({"gateway": {"attachments": {"file_api": {"upload_retry_s": 0.1}}}})
    gemini.add_fault(Fault(path_pattern="/upload/", status=503, times=3))
    response = post_file(quick, media.mp3(5 * MB, seed=31))
    assert response.status_code == 502
    assert "File API upload failed" in response.json()["error"]["message"]
    assert gemini.generate_count == 0


def test_file_stuck_in_processing_is_504_after_the_deadline(start_gateway, ollama, gemini):
    quick = start_gateway({"gateway": {"attachments": {"file_api": {"processing_deadline_s": 1.5,
                                                                    "poll_initial_s": 0.2}}}})
    gemini.stick_next_file_in_processing()
    response = post_file(quick, media.mp3(5 * MB, seed=32))
    assert response.status_code == 504
    assert "PROCESSING" in response.json()["error"]["message"]
    assert gemini.generate_count == 0


def test_uploads_can_be_deleted_once_answered(start_gateway, ollama, gemini):
    deleting = start_gateway({"gateway": {"attachments": {"file_api": {"after_request": "delete"}}}})
    data = media.mp3(5 * MB, seed=33)
    for _ in range(2):
        assert post_file(deleting, data).status_code == 200
    deadline = time.monotonic() + 10  # deletion runs after the response, in LiteLLM's logging callbacks
    while sum(record.method == "DELETE" for record in gemini.requests) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert gemini.upload_count == 2  # nothing kept, nothing reused
    assert sum(record.method == "DELETE" for record in gemini.requests) == 2


def test_forbidden_cached_file_is_uploaded_again_once(gateway, ollama, gemini):
    """A reused URI that the File API now refuses (403, e.g. a rotated key) is replaced by a new upload."""
    data = media.mp3(5 * MB, seed=34)
    assert post_file(gateway, data).status_code == 200
    denied = {"error": {"code": 403, "message": "Permission denied", "status": "PERMISSION_DENIED"}}
    gemini.add_fault(Fault(path_pattern=r"^/v1beta/files/", status=403, times=1, body=denied))
    response = post_file(gateway, data)
    assert response.status_code == 200, response.text
    assert gemini.upload_count == 2 and gemini.generate_count == 2
