"""The emulators speak the real wire formats: the real clients (LiteLLM's ollama_chat and gemini providers,
google-genai's File API) work against them unchanged, and they reject what the real services reject."""

from __future__ import annotations

import base64
import functools
import hashlib
import io
import json
import os
import threading
import time

os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"

import httpx  # noqa: E402
import litellm  # noqa: E402
import pytest  # noqa: E402
from google import genai  # noqa: E402
from google.genai import errors as genai_errors  # noqa: E402
from PIL import Image  # noqa: E402

from tests.emulators import Fault, GeminiEmulator, OllamaEmulator  # noqa: E402
from tests.emulators.gemini import DEFAULT_THOUGHTS  # noqa: E402

KEY = "test-gemini-key"
OTHER_KEY = "other-gemini-key"
MIB = 1024 * 1024


@pytest.fixture(scope="module")
def ollama_emu():
    with OllamaEmulator() as emulator:
        yield emulator


@pytest.fixture(scope="module")
def gemini_emu():
    with GeminiEmulator(api_key=KEY, extra_api_keys=[OTHER_KEY]) as emulator:
        yield emulator


@pytest.fixture(autouse=True)
def _fresh(request):
    for name in ("ollama_emu", "gemini_emu"):
        if name in request.fixturenames:
            request.getfixturevalue(name).reset()


def png(color: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), color).save(buffer, "PNG")
    return buffer.getvalue()


def image_part(data: bytes) -> dict:
    return {"type": "image_url", "image_url": {"url": "data:image/png;base64," + base64.b64encode(data).decode()}}


def ask_ollama(emu: OllamaEmulator, content, model: str = "qwen3-vl:8b", **extra):
    return litellm.completion(model=f"ollama_chat/{model}", api_base=emu.base_url,
                              messages=[{"role": "user", "content": content}], **extra)


def gemini_args(emu: GeminiEmulator, key: str = KEY) -> dict:
    return {"model": "gemini/gemini-2.5-flash", "api_base": f"{emu.base_url}/v1beta", "api_key": key}


def client(emu: GeminiEmulator, key: str = KEY, version: str | None = "v1beta") -> genai.Client:
    """One google-genai client per (emulator, key, version): a Client closes its connections when collected."""
    return _client(emu.base_url, key, version)


@functools.cache
def _client(base_url: str, key: str, version: str | None) -> genai.Client:
    versioned = {"api_version": version} if version else {}
    return genai.Client(api_key=key, http_options={"base_url": base_url, **versioned})


def generate(emu: GeminiEmulator, body: object, key: str | None = KEY, model: str = "gemini-2.5-flash",
             **kwargs) -> httpx.Response:
    headers = {"x-goog-api-key": key} if key else {}
    return httpx.post(f"{emu.base_url}/v1beta/models/{model}:generateContent", headers=headers,
                      **({"content": body} if isinstance(body, bytes) else {"json": body}), **kwargs)


def text_body(text: str = "hi", **extra) -> dict:
    return {"contents": [{"role": "user", "parts": [{"text": text}]}], **extra}


# -- Ollama ----------------------------------------------------------------------------------------

def test_ollama_service_endpoints(ollama_emu):
    base = ollama_emu.base_url
    assert httpx.get(base).text == "Ollama is running"
    assert httpx.get(f"{base}/api/version").json()["version"]
    assert [m["name"] for m in httpx.get(f"{base}/api/tags").json()["models"]] == ollama_emu.models
    shown = httpx.post(f"{base}/api/show", json={"model": "qwen3-vl:8b"}).json()
    assert "vision" in shown["capabilities"] and shown["details"]["format"] == "gguf"
    legacy = httpx.post(f"{base}/api/show", json={"name": "cognitivecomputations/dolphin-mistral-nemo"})
    assert legacy.status_code == 200 and "vision" not in legacy.json()["capabilities"]
    missing = httpx.post(f"{base}/api/show", json={"model": "llama3"})
    assert (missing.status_code, missing.json()) == (404, {"error": "model 'llama3' not found"})
    assert httpx.get(f"{base}/api/nothing").status_code == 404


def test_litellm_ollama_chat_reaches_ollama_as_documented(ollama_emu):
    reply = litellm.completion(model="ollama_chat/qwen3-vl:8b", api_base=ollama_emu.base_url, messages=[
        {"role": "system", "content": "Be brief."}, {"role": "user", "content": "hello there"}])
    assert reply.choices[0].message.content == "qwen3-vl:8b says: hello there"
    assert reply.choices[0].finish_reason == "stop" and reply.usage.completion_tokens == 4
    (record,) = ollama_emu.chat_requests
    assert record.body["stream"] is False and record.body["model"] == "qwen3-vl:8b"
    assert [m["role"] for m in record.body["messages"]] == ["system", "user"]


async def test_litellm_ollama_streams_ndjson(ollama_emu):
    stream = await litellm.acompletion(model="ollama_chat/qwen3-vl:8b", api_base=ollama_emu.base_url, stream=True,
                                       messages=[{"role": "user", "content": "one two"}],
                                       stream_options={"include_usage": True})
    chunks = [chunk async for chunk in stream]
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "qwen3-vl:8b says: one two"
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == ["stop"]
    assert chunks[-1].usage.completion_tokens == 4
    assert ollama_emu.chat_requests[0].body["stream"] is True


def test_ollama_streams_by_default_and_answers_in_the_documented_shape(ollama_emu):
    body = {"model": "qwen3-vl:8b", "messages": [{"role": "user", "content": "x y"}]}
    with httpx.stream("POST", f"{ollama_emu.base_url}/api/chat", json=body) as response:
        assert response.headers["content-type"] == "application/x-ndjson"
        lines = [json.loads(line) for line in response.iter_lines() if line]
    assert len(lines) > 2 and not any(line["done"] for line in lines[:-1])
    final = lines[-1]
    assert final["done"] and final["done_reason"] == "stop" and final["message"] == {"role": "assistant", "content": ""}
    assert {"total_duration", "load_duration", "prompt_eval_count", "eval_count", "eval_duration"} <= set(final)
    whole = httpx.post(f"{ollama_emu.base_url}/api/chat", json={**body, "stream": False}).json()
    assert set(whole) == {"model", "created_at", "message", "done", "done_reason", "total_duration", "load_duration",
                          "prompt_eval_count", "prompt_eval_duration", "eval_count", "eval_duration"}
    assert whole["message"]["content"] == "".join(line["message"]["content"] for line in lines)


def test_ollama_images_are_checked_and_counted(ollama_emu):
    reply = ask_ollama(ollama_emu, [{"type": "text", "text": "what?"}, image_part(png()), image_part(png("blue"))])
    assert reply.choices[0].message.content == "qwen3-vl:8b says: what? [2 images]"
    images = ollama_emu.chat_requests[0].body["messages"][0]["images"]
    assert [base64.b64decode(image) for image in images] == [png(), png("blue")]
    with pytest.raises(litellm.BadRequestError, match="image: unknown format"):
        ask_ollama(ollama_emu, [image_part(b"ID3 not an image")])


def test_ollama_names_without_tag_mean_latest(ollama_emu):
    reply = ask_ollama(ollama_emu, "hi", model="CognitiveComputations/dolphin-mistral-nemo")
    assert reply.choices[0].message.content == "CognitiveComputations/dolphin-mistral-nemo says: hi"
    with pytest.raises(litellm.NotFoundError, match='model \\\\"qwen3-vl\\\\" not found, try pulling it first'):
        ask_ollama(ollama_emu, "hi", model="qwen3-vl")


def test_ollama_max_tokens_become_num_predict_and_finish_with_length(ollama_emu):
    reply = ask_ollama(ollama_emu, "a b c d", max_tokens=2)
    assert reply.choices[0].finish_reason == "length" and reply.choices[0].message.content == "qwen3-vl:8b says:"
    assert ollama_emu.chat_requests[0].body["options"]["num_predict"] == 2


HELLO = [{"role": "user", "content": "hi"}]


@pytest.mark.parametrize(("body", "status", "error"), [
    (b"", 400, "missing request body"),
    (b"{oops", 400, "invalid character"),
    (b"[]", 400, "cannot unmarshal array into Go value of type api.ChatRequest"),
    ({"messages": HELLO}, 400, "model is required"),
    ({"model": "llama3", "messages": HELLO}, 404, 'model "llama3" not found, try pulling it first'),
    ({"model": "qwen3-vl:8b", "messages": "hi"}, 400, "Go struct field ChatRequest.messages"),
    ({"model": "qwen3-vl:8b", "messages": [{"role": "user", "content": [{"type": "text", "text": "x"}]}]}, 400,
     "cannot unmarshal array into Go struct field Message.messages.content of type string"),
    ({"model": "qwen3-vl:8b", "messages": [{"role": "user", "content": "x", "images": ["%%%"]}]}, 400,
     "illegal base64 data at input byte 0"),
    ({"model": "qwen3-vl:8b", "messages": [{"role": "user", "content": "x", "images": ["aGVsbG8="]}]}, 400,
     "image: unknown format"),
    ({"model": "llama3", "messages": [{"role": "user", "content": "x", "images": ["aGVsbG8="]}]}, 404,
     "not found"),  # images are decoded only once the model is found, as in Ollama
    ({"model": "qwen3-vl:8b", "messages": [{"role": "robot", "content": "x"}]}, 400, "invalid role"),
    ({"model": "qwen3-vl:8b", "messages": HELLO, "stream": "yes"}, 400, "ChatRequest.stream of type bool"),
    ({"model": "deepseek-ocr:3b", "messages": HELLO, "tools": [{"type": "function"}]}, 400, "does not support tools"),
    ({"model": "deepseek-ocr:3b", "messages": HELLO, "think": True}, 400, "does not support thinking"),
])
def test_ollama_rejects_what_ollama_rejects(ollama_emu, body, status, error):
    kwargs = {"content": body} if isinstance(body, bytes) else {"json": body}
    response = httpx.post(f"{ollama_emu.base_url}/api/chat", **kwargs)
    assert response.status_code == status and error in response.json()["error"]
    assert ollama_emu.requests[0].path == "/api/chat"


def test_ollama_faults(ollama_emu):
    url = f"{ollama_emu.base_url}/api/chat"
    body = {"model": "qwen3-vl:8b", "messages": HELLO, "stream": False}
    ollama_emu.add_fault(Fault(path_pattern="/api/chat", status=503, times=2))
    assert [httpx.post(url, json=body).status_code for _ in range(3)] == [503, 503, 200]
    assert [record.body for record in ollama_emu.chat_requests] == [body] * 3  # faulted ones are recorded too
    ollama_emu.add_fault(Fault(path_pattern="/api/tags", status=200, delay_s=0.3))
    started = time.monotonic()
    assert httpx.get(f"{ollama_emu.base_url}/api/tags").status_code == 200
    assert time.monotonic() - started >= 0.3
    ollama_emu.add_fault(Fault(path_pattern="/api/chat", drop_connection=True))
    with pytest.raises(litellm.APIConnectionError, match="disconnected without sending a response"):
        ask_ollama(ollama_emu, "hi")
    ollama_emu.add_fault(Fault(path_pattern="/api/chat", status=200, die_mid_stream=True))
    with pytest.raises(Exception, match="incomplete chunked read"):
        for _ in ask_ollama(ollama_emu, "one two three four", stream=True):
            pass
    assert ollama_emu.pending_faults == []


def test_stopped_emulator_is_a_down_backend_and_restarts_on_the_same_port():
    emulator = OllamaEmulator().start()
    base = emulator.base_url
    emulator.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(base)
    emulator.start()
    try:
        assert emulator.base_url == base and httpx.get(base).text == "Ollama is running"
    finally:
        emulator.stop()


def test_concurrent_requests_are_all_recorded(ollama_emu):
    threads = [threading.Thread(target=httpx.get, args=(f"{ollama_emu.base_url}/api/version",)) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(ollama_emu.requests) == 20
    ollama_emu.clear()
    assert ollama_emu.requests == []


# -- Gemini ----------------------------------------------------------------------------------------

def test_litellm_gemini_request_shape(gemini_emu):
    reply = litellm.completion(**gemini_args(gemini_emu), messages=[
        {"role": "system", "content": "Be brief."}, {"role": "user", "content": "hello there"}])
    assert reply.choices[0].message.content == "gemini-2.5-flash says: hello there"
    assert reply.choices[0].finish_reason == "stop" and reply.usage.completion_tokens == 4 + DEFAULT_THOUGHTS
    (record,) = gemini_emu.requests
    assert record.path == "/v1beta/models/gemini-2.5-flash:generateContent" and record.query == {}
    assert record.headers["x-goog-api-key"] == KEY  # the key travels in the header, never in the URL
    assert record.body["system_instruction"] == {"parts": [{"text": "Be brief."}]}  # snake_case, as proto JSON allows
    assert gemini_emu.generate_count == 1


async def test_litellm_gemini_streams_sse(gemini_emu):
    stream = await litellm.acompletion(**gemini_args(gemini_emu), stream=True, stream_options={"include_usage": True},
                                       messages=[{"role": "user", "content": "one two"}])
    chunks = [chunk async for chunk in stream]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "gemini-2.5-flash says: one two"
    # 2.5 models think by default; LiteLLM counts the thinking tokens as completion tokens, as Google bills them
    assert chunks[-1].usage.completion_tokens == 4 + DEFAULT_THOUGHTS
    (record,) = gemini_emu.requests
    assert record.path.endswith(":streamGenerateContent") and record.query == {"alt": "sse"}


def test_gemini_stream_wire_format(gemini_emu):
    url = f"{gemini_emu.base_url}/v1beta/models/gemini-2.5-flash:streamGenerateContent"
    sse = httpx.post(url, params={"alt": "sse"}, headers={"x-goog-api-key": KEY}, json=text_body("a b"))
    assert sse.headers["content-type"].startswith("text/event-stream")
    events = [json.loads(block.removeprefix("data: ")) for block in sse.text.split("\r\n\r\n") if block]
    assert len(events) > 2 and all("finishReason" not in e["candidates"][0] for e in events[:-1])
    assert events[-1]["candidates"][0]["finishReason"] == "STOP"
    assert events[-1]["usageMetadata"]["candidatesTokenCount"] == len(events)
    array = httpx.post(url, headers={"x-goog-api-key": KEY}, json=text_body("a b")).json()
    assert [e["candidates"][0]["content"] for e in array] == [e["candidates"][0]["content"] for e in events]


def test_litellm_gemini_inline_image_and_max_tokens(gemini_emu):
    image = png()
    reply = litellm.completion(**gemini_args(gemini_emu), messages=[
        {"role": "user", "content": [{"type": "text", "text": "what?"}, image_part(image)]}])
    expected = f"gemini-2.5-flash says: what? [inlineData: image/png {len(image)} bytes]"
    assert reply.choices[0].message.content == expected
    short = litellm.completion(**gemini_args(gemini_emu), max_tokens=2, reasoning_effort="disable", messages=HELLO)
    assert short.choices[0].finish_reason == "length" and short.choices[0].message.content == "gemini-2.5-flash says:"


def test_gemini_thinking_spends_the_output_budget(gemini_emu):
    """2.5 models think by default and thinking counts against maxOutputTokens (Gemini API docs, "Thinking"):
    a short limit without a thinking budget ends with MAX_TOKENS and no parts."""
    url = f"{gemini_emu.base_url}/v1beta/models/gemini-2.5-flash:generateContent"
    body = {**text_body("hello"), "generationConfig": {"maxOutputTokens": 10}}
    reply = httpx.post(url, headers={"x-goog-api-key": KEY}, json=body).json()
    assert reply["candidates"][0]["finishReason"] == "MAX_TOKENS"
    assert "parts" not in reply["candidates"][0]["content"] and reply["usageMetadata"]["thoughtsTokenCount"] > 0
    body["generationConfig"]["thinkingConfig"] = {"thinkingBudget": 0}
    reply = httpx.post(url, headers={"x-goog-api-key": KEY}, json=body).json()
    assert reply["candidates"][0]["content"]["parts"][0]["text"]


@pytest.mark.parametrize(("config", "message"), [
    ({"presencePenalty": 0.5}, "Penalty is not enabled"),
    ({"maxOutputTokens": "ten"}, "TYPE_INT32"),
    ({"bogusField": 1}, "Unknown name"),
])
def test_gemini_generation_config_is_checked(gemini_emu, config, message):
    url = f"{gemini_emu.base_url}/v1beta/models/gemini-2.5-flash:generateContent"
    response = httpx.post(url, headers={"x-goog-api-key": KEY}, json={**text_body("hi"), "generationConfig": config})
    assert response.status_code == 400 and message in response.json()["error"]["message"]


@pytest.mark.parametrize(("headers", "params", "status", "error"), [
    ({}, {}, 403, "PERMISSION_DENIED"),
    ({"x-goog-api-key": "wrong"}, {}, 400, "INVALID_ARGUMENT"),
    ({"authorization": "Bearer token"}, {}, 401, "UNAUTHENTICATED"),
    ({}, {"key": KEY}, 200, None),
    ({"x-goog-api-key": OTHER_KEY}, {}, 200, None),
])
def test_gemini_api_key_header_or_query(gemini_emu, headers, params, status, error):
    for path in ("/v1beta/models", "/v1beta/files"):
        response = httpx.get(f"{gemini_emu.base_url}{path}", headers=headers, params=params)
        assert response.status_code == status
        assert error is None or response.json()["error"]["status"] == error
    if status == 400:
        assert response.json()["error"]["message"] == "API key not valid. Please pass a valid API key."


def test_litellm_gemini_wrong_key_and_unknown_model(gemini_emu):
    with pytest.raises(litellm.AuthenticationError, match="API key not valid"):
        litellm.completion(**gemini_args(gemini_emu, key="wrong"), messages=HELLO)
    with pytest.raises(litellm.NotFoundError, match="models/gemini-9 is not found"):
        litellm.completion(**{**gemini_args(gemini_emu), "model": "gemini/gemini-9"}, messages=HELLO)


PARTS = [{"role": "user", "parts": []}]


def with_part(part: dict) -> dict:
    return {"contents": [{"role": "user", "parts": [part]}]}


@pytest.mark.parametrize(("body", "status", "error"), [
    (b"{oops", 400, "Invalid JSON payload received"),
    ([], 400, "Root element must be a message"),
    ({}, 400, "contents is not specified"),
    ({"contents": []}, 400, "contents is not specified"),
    (text_body(temperature=0.5), 400, 'Unknown name "temperature": Cannot find field.'),
    ({"contents": [{"role": "assistant", "parts": [{"text": "x"}]}]}, 400, "Please use a valid role: user, model."),
    ({"contents": PARTS}, 400, "contents.parts must not be empty"),
    (with_part({}), 400, "required oneof field 'data'"),
    (with_part({"text": "x", "inlineData": {"mimeType": "image/png", "data": "aGk="}}), 400, "Oneof field 'data'"),
    (with_part({"txt": "x"}), 400, "Unknown name \"txt\" at 'contents[0].parts[0]'"),
    (with_part({"inline_data": {"mime_type": "image/png", "data": "%%%"}}), 400, "Base64 decoding failed"),
    (with_part({"inline_data": {"data": "aGk="}}), 400, "mime_type"),
    (with_part({"inline_data": {"mime_type": "application/x-msdownload", "data": "aGk="}}), 400,
     "Unsupported MIME type"),
    (with_part({"file_data": {"file_uri": "https://example.com/a.mp3"}}), 400, "Invalid or unsupported file uri"),
    (with_part({"fileData": {"fileUri": "https://generativelanguage.googleapis.com/v1beta/files/nope"}}), 403,
     "You do not have permission to access the File nope or it may not exist."),
    (text_body(systemInstruction={"parts": []}), 400, "system_instruction.parts"),
    (text_body(generationConfig="hot"), 400, "generationConfig"),
])
def test_gemini_rejects_what_gemini_rejects(gemini_emu, body, status, error):
    response = generate(gemini_emu, body)
    assert response.status_code == status and error in response.json()["error"]["message"]
    assert set(response.json()["error"]) >= {"code", "message", "status"}


def test_gemini_accepts_both_field_spellings_and_unknown_models_are_404(gemini_emu):
    body = {"contents": [{"parts": [{"text": "hi"}]}], "system_instruction": {"parts": [{"text": "s"}]},
            "generation_config": {"max_output_tokens": 50}, "safetySettings": []}
    assert generate(gemini_emu, body).json()["candidates"][0]["content"]["parts"][0]["text"].endswith("says: hi")
    missing = generate(gemini_emu, text_body(), model="gemini-9")
    assert missing.status_code == 404 and missing.json()["error"]["status"] == "NOT_FOUND"


def test_gemini_rejects_bodies_over_20_mb(gemini_emu):
    body = json.dumps(with_part({"inlineData": {"mimeType": "image/png", "data": "A" * (21 * MIB)}})).encode()
    response = generate(gemini_emu, body)
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "Request payload size exceeds the limit: 20971520 bytes."
    assert gemini_emu.requests[0].size == len(body) and gemini_emu.requests[0].body is None  # never buffered


def test_gemini_models_list_and_get(gemini_emu):
    listed = httpx.get(f"{gemini_emu.base_url}/v1beta/models", headers={"x-goog-api-key": KEY}).json()
    assert "models/gemini-2.5-flash" in [model["name"] for model in listed["models"]]
    one = httpx.get(f"{gemini_emu.base_url}/v1beta/models/gemini-2.5-flash", params={"key": KEY})
    assert "generateContent" in one.json()["supportedGenerationMethods"]
    assert httpx.get(f"{gemini_emu.base_url}/v1beta/models/nope", params={"key": KEY}).status_code == 404


def test_genai_resumable_upload_from_path_get_and_delete(gemini_emu, tmp_path):
    data = os.urandom(9 * MIB + 7)
    path = tmp_path / "talk.mp3"
    path.write_bytes(data)
    gemini = client(gemini_emu)
    uploaded = gemini.files.upload(file=str(path))
    file_id = uploaded.name.removeprefix("files/")
    assert uploaded.state.name == "PROCESSING" and uploaded.mime_type == "audio/mpeg"
    assert uploaded.size_bytes == len(data)
    assert uploaded.uri == f"https://generativelanguage.googleapis.com/v1beta/files/{file_id}"
    start, *chunks = gemini_emu.requests
    assert start.headers["x-goog-upload-protocol"] == "resumable" and start.headers["x-goog-upload-command"] == "start"
    assert start.headers["x-goog-upload-header-content-length"] == str(len(data))
    assert start.headers["x-goog-api-key"] == KEY and start.body == {"file": {"mime_type": "audio/mpeg",
                                                                              "size_bytes": len(data)}}
    assert [(c.headers["x-goog-upload-command"], c.headers["x-goog-upload-offset"], c.size) for c in chunks] == [
        ("upload", "0", 8 * MIB), ("upload, finalize", str(8 * MIB), MIB + 7)]
    assert all("x-goog-api-key" not in c.headers for c in chunks)  # the upload_id alone authorizes the chunks
    assert (gemini_emu.bytes_received, gemini_emu.peak_chunk_bytes, gemini_emu.upload_count) == (len(data), 8 * MIB, 1)
    stored = gemini_emu.files[file_id]
    assert open(stored.path, "rb").read() == data
    fetched = gemini.files.get(name=uploaded.name)
    assert fetched.state.name == "ACTIVE"
    assert fetched.sha256_hash == base64.b64encode(hashlib.sha256(data).hexdigest().encode()).decode()
    gemini.files.delete(name=uploaded.name)
    with pytest.raises(genai_errors.ClientError) as gone:
        gemini.files.get(name=uploaded.name)
    assert gone.value.code == 403 and file_id not in gemini_emu.files


async def test_genai_async_upload_of_a_file_object_then_litellm_uses_its_uri(gemini_emu):
    uploaded = await client(gemini_emu).aio.files.upload(
        file=io.BytesIO(b"ID3" + bytes(1000)), config={"mime_type": "audio/mpeg", "display_name": "clip"})
    assert uploaded.display_name == "clip" and uploaded.size_bytes == 1003
    active = await client(gemini_emu).aio.files.get(name=uploaded.name)
    file_part = {"type": "file", "file": {"file_id": active.uri, "format": "audio/mpeg"}}
    reply = await litellm.acompletion(**gemini_args(gemini_emu), messages=[
        {"role": "user", "content": [{"type": "text", "text": "listen"}, file_part]}])
    assert reply.choices[0].message.content == f"gemini-2.5-flash says: listen [fileData: {uploaded.name} (audio/mpeg)]"
    part = gemini_emu.requests[-1].body["contents"][0]["parts"][1]
    assert part == {"file_data": {"mime_type": "audio/mpeg", "file_uri": active.uri}}


def upload(emu: GeminiEmulator, key: str = KEY) -> str:
    return client(emu, key).files.upload(file=io.BytesIO(b"ID3" + bytes(10)), config={"mime_type": "audio/mpeg"}).name


def test_files_must_be_active_before_use(gemini_emu):
    gemini_emu.processing_polls = 2
    name = upload(gemini_emu)
    uri = f"https://generativelanguage.googleapis.com/v1beta/{name}"
    early = generate(gemini_emu, with_part({"file_data": {"file_uri": uri, "mime_type": "audio/mpeg"}}))
    assert early.status_code == 400 and early.json()["error"]["status"] == "FAILED_PRECONDITION"
    states = [client(gemini_emu).files.get(name=name).state.name for _ in range(2)]
    assert states == ["PROCESSING", "ACTIVE"]
    assert generate(gemini_emu, with_part({"file_data": {"file_uri": uri}})).status_code == 200


def test_failed_and_stuck_files(gemini_emu):
    gemini_emu.fail_next_file("Unsupported audio encoding")
    failed = client(gemini_emu).files.get(name=upload(gemini_emu))
    assert failed.state.name == "FAILED" and failed.error.message == "Unsupported audio encoding"
    gemini_emu.stick_next_file_in_processing()
    stuck = upload(gemini_emu)
    assert {client(gemini_emu).files.get(name=stuck).state.name for _ in range(3)} == {"PROCESSING"}
    assert client(gemini_emu).files.get(name=upload(gemini_emu)).state.name == "ACTIVE"  # only the next one


def test_files_belong_to_their_key_and_expire(gemini_emu):
    name = upload(gemini_emu)
    client(gemini_emu).files.get(name=name)
    uri_part = with_part({"file_data": {"file_uri": f"https://generativelanguage.googleapis.com/v1beta/{name}"}})
    with pytest.raises(genai_errors.ClientError) as other:
        client(gemini_emu, OTHER_KEY).files.get(name=name)
    assert other.value.code == 403
    assert generate(gemini_emu, uri_part, key=OTHER_KEY).status_code == 403
    assert name not in [f.name for f in client(gemini_emu, OTHER_KEY).files.list()]
    assert name in [f.name for f in client(gemini_emu).files.list()]
    assert generate(gemini_emu, uri_part).status_code == 200
    gemini_emu.expire_file(name)
    assert generate(gemini_emu, uri_part).status_code == 403


def test_genai_defaults_to_api_version_v1(gemini_emu):
    uploaded = client(gemini_emu, version=None).files.upload(file=io.BytesIO(b"x"), config={"mime_type": "text/plain"})
    assert gemini_emu.requests[0].path == "/upload/v1/files"
    assert uploaded.uri.startswith("https://generativelanguage.googleapis.com/v1/files/")


def test_resumable_protocol_is_enforced(gemini_emu):
    url, key = f"{gemini_emu.base_url}/upload/v1beta/files", {"x-goog-api-key": KEY}
    plain = httpx.post(url, headers=key, json={"file": {"mimeType": "audio/mpeg"}})
    assert plain.status_code == 400
    start = httpx.post(url, json={"file": {"displayName": "d"}}, headers={
        **key, "x-goog-upload-protocol": "resumable", "x-goog-upload-command": "start",
        "x-goog-upload-header-content-length": "10", "x-goog-upload-header-content-type": "audio/mpeg"})
    session = start.headers["x-goog-upload-url"]
    assert session.startswith(f"{url}?upload_id=") and start.headers["x-goog-upload-status"] == "active"
    wrong = httpx.post(session, content=b"abc", headers={"x-goog-upload-command": "upload",
                                                         "x-goog-upload-offset": "5"})
    assert wrong.status_code == 400 and wrong.headers["x-goog-upload-status"] == "final"
    part = httpx.post(session, content=b"abc", headers={"x-goog-upload-command": "upload",
                                                        "x-goog-upload-offset": "0"})
    assert part.headers["x-goog-upload-size-received"] == "3"
    short = httpx.post(session, content=b"de", headers={"x-goog-upload-command": "upload, finalize",
                                                        "x-goog-upload-offset": "3"})
    assert short.status_code == 400 and "declared 10" in short.json()["error"]["message"]
    assert httpx.post(session, content=b"x", headers={"x-goog-upload-command": "upload"}).status_code == 404
    assert gemini_emu.upload_count == 0 and gemini_emu.files.keys().isdisjoint({"d"})


def test_gemini_faults(gemini_emu):
    body = {"error": {"code": 429, "message": "Resource exhausted", "status": "RESOURCE_EXHAUSTED"}}
    gemini_emu.add_fault(Fault(path_pattern="generateContent", status=429, body=body))
    with pytest.raises(litellm.RateLimitError, match="Resource exhausted"):
        litellm.completion(**gemini_args(gemini_emu), messages=HELLO)
    assert litellm.completion(**gemini_args(gemini_emu), messages=HELLO).choices[0].message.content
    gemini_emu.add_fault(Fault(path_pattern="generateContent", status=429))  # the emulator's own 429 body
    quota = generate(gemini_emu, text_body()).json()["error"]
    assert quota["status"] == "RESOURCE_EXHAUSTED" and quota["details"][0]["retryDelay"] == "20s"
    gemini_emu.add_fault(Fault(path_pattern="streamGenerateContent", status=200, die_mid_stream=True))
    with pytest.raises(Exception, match="incomplete chunked read"):
        for _ in litellm.completion(**gemini_args(gemini_emu), messages=HELLO, stream=True):
            pass
    gemini_emu.add_fault(Fault(path_pattern="/upload/", status=503))  # the start request
    with pytest.raises(genai_errors.ServerError):
        upload(gemini_emu)
    gemini_emu.add_fault(Fault(path_pattern="upload_id=", status=503))  # a chunk: the query is matched too
    started = time.monotonic()
    with pytest.raises(genai_errors.ServerError):
        upload(gemini_emu)
    assert time.monotonic() - started < 1 and gemini_emu.upload_count == 0  # no 7 s of google-genai retries
    gemini_emu.add_fault(Fault(path_pattern="/files/", drop_connection=True))
    name = upload(gemini_emu)
    with pytest.raises(Exception, match="Server disconnected without sending a response") as dropped:
        client(gemini_emu).files.get(name=name)
    assert type(dropped.value).__name__ == "RemoteProtocolError"  # google-genai 3.x talks through httpx2


# -- backend behaviours the gateway must handle (issue 19) ----------------------------------------------

@pytest.mark.parametrize(("options", "error"), [
    ({"num_predict": "ten"}, 'option "num_predict" must be of type integer'),
    ({"temperature": True}, 'option "temperature" must be of type float32'),
    ({"stop": "END"}, 'option "stop" must be of type array'),
    ({"stop": [1]}, 'option "stop" must be of an array of strings'),
    ({"use_mmap": 1}, 'option "use_mmap" must be of type boolean'),
])
def test_ollama_options_are_typed_by_name(ollama_emu, options, error):
    """api/types.go Options.FromMap: a value of the wrong kind fails the request (500 from the runner)."""
    body = {"model": "qwen3-vl:8b", "messages": HELLO, "stream": False, "options": options}
    response = httpx.post(f"{ollama_emu.base_url}/api/chat", json=body)
    assert response.status_code == 500 and response.json()["error"] == error


def test_ollama_unknown_options_are_ignored_and_penalties_are_native(ollama_emu):
    body = {"model": "qwen3-vl:8b", "messages": HELLO, "stream": False,
            "options": {"frequency_penalty": 0.5, "presence_penalty": 1, "not_an_option": "x"}}
    assert httpx.post(f"{ollama_emu.base_url}/api/chat", json=body).status_code == 200


@pytest.mark.parametrize(("fmt", "ok"), [("json", True), ({"type": "object"}, True), ("", True), (None, True),
                                         ("yaml", False), (["json"], False)])
def test_ollama_format_is_json_or_a_schema(ollama_emu, fmt, ok):
    body = {"model": "qwen3-vl:8b", "messages": HELLO, "stream": False, "format": fmt}
    response = httpx.post(f"{ollama_emu.base_url}/api/chat", json=body)
    assert response.status_code == (200 if ok else 500)
    if not ok:
        assert 'expected "json" or a valid JSON Schema' in response.json()["error"]
    streamed = httpx.post(f"{ollama_emu.base_url}/api/chat", json={**body, "stream": True})
    lines = [json.loads(line) for line in streamed.text.splitlines()]
    assert streamed.status_code == 200 and ("error" in lines[-1]) is not ok


def test_ollama_error_line_after_the_200(ollama_emu):
    """server/routes.go: a runner failure after streaming began is an `{"error": ...}` line, status 200."""
    ollama_emu.fail_next_stream("llama runner process has terminated")
    response = httpx.post(f"{ollama_emu.base_url}/api/chat",
                          json={"model": "qwen3-vl:8b", "messages": [{"role": "user", "content": "a b c"}]})
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert response.status_code == 200 and lines[-1] == {"error": "llama runner process has terminated"}
    assert "message" in lines[0] and not any(line.get("done") for line in lines)


WEATHER_TOOL = [{"functionDeclarations": [{"name": "get_weather", "description": "Weather",
                                           "parameters": {"type": "OBJECT", "properties": {}}}]}]


@pytest.mark.parametrize(("extra", "error"), [
    ({"tools": {"functionDeclarations": []}}, "Starting an object on a repeated field"),
    ({"tools": [{"functionDeclarations": [{"name": "1bad"}]}]}, "Invalid function name"),
    ({"tools": [{"function_declarations": [{"name": "f", "params": {}}]}]}, 'Unknown name "params"'),
    ({"tools": WEATHER_TOOL, "toolConfig": {"functionCallingConfig": {"mode": "SOMETIMES"}}}, "mode"),
    ({"safetySettings": [{"category": "HARM_CATEGORY_BORING", "threshold": "BLOCK_NONE"}]}, "safety_settings[0]"),
    ({"safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE", "x": 1}]},
     'Unknown name "x"'),
])
def test_gemini_tools_and_safety_settings_are_checked(gemini_emu, extra, error):
    response = generate(gemini_emu, text_body("call get_weather", **extra))
    assert response.status_code == 400 and error in response.json()["error"]["message"]


def test_gemini_function_calls_carry_thought_signatures(gemini_emu):
    """Thought-signatures guide: a thinking model signs its functionCall; the next turn hands it back."""
    asked = generate(gemini_emu, text_body("call get_weather", tools=WEATHER_TOOL)).json()
    part = asked["candidates"][0]["content"]["parts"][0]
    assert part["functionCall"]["name"] == "get_weather" and part["thoughtSignature"]
    assert asked["usageMetadata"]["thoughtsTokenCount"] == DEFAULT_THOUGHTS

    def turn(signature: str | None, model: str = "gemini-2.5-flash") -> httpx.Response:
        call = {"functionCall": {"name": "get_weather", "args": {}},
                **({"thoughtSignature": signature} if signature else {})}
        body = {"tools": WEATHER_TOOL, "contents": [
            {"role": "user", "parts": [{"text": "call get_weather"}]}, {"role": "model", "parts": [call]},
            {"role": "user", "parts": [{"functionResponse": {"name": "get_weather", "response": {"t": 21}}}]}]}
        return generate(gemini_emu, body, model=model)

    assert turn(part["thoughtSignature"]).status_code == 200 and gemini_emu.signatures_missing == 0
    assert "says: call get_weather" in turn(part["thoughtSignature"]).json()["candidates"][0]["content"][
        "parts"][0]["text"]  # the function answered: the model replies in text
    assert turn(None).status_code == 200 and gemini_emu.signatures_missing == 1  # 2.5: accepted, reasoning lost
    assert "missing a thought_signature" in turn(None, "gemini-3-pro-preview").json()["error"]["message"]
    assert "Corrupted thought signature" in turn(base64.b64encode(b"forged").decode()).json()["error"]["message"]
    assert turn("skip_thought_signature_validator", "gemini-3-pro-preview").status_code == 200


def test_gemini_blocked_prompt_and_filter_stops(gemini_emu):
    gemini_emu.block_next_prompt("PROHIBITED_CONTENT")
    blocked = generate(gemini_emu, text_body("x")).json()
    assert "candidates" not in blocked and blocked["promptFeedback"]["blockReason"] == "PROHIBITED_CONTENT"
    gemini_emu.stop_next("RECITATION")
    stopped = generate(gemini_emu, text_body("one two three four five six")).json()["candidates"][0]
    assert stopped["finishReason"] == "RECITATION" and stopped["content"]["parts"][0]["text"]
    gemini_emu.stop_next("SAFETY")
    unsafe = generate(gemini_emu, text_body("one two three")).json()["candidates"][0]
    assert unsafe["finishReason"] == "SAFETY" and unsafe["safetyRatings"]


# -- the official examples (tests/emulators/fixtures, sources cited there) ------------------------------

FIXTURES = os.path.join(os.path.dirname(__file__), "emulators", "fixtures")


def official_examples(name: str) -> list[dict]:
    with open(os.path.join(FIXTURES, name)) as handle:
        examples = json.load(handle)["examples"]
    png = base64.b64encode(tiny_png()).decode()
    return json.loads(json.dumps(examples).replace('"$PNG"', json.dumps(png)))


def tiny_png() -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(output, format="PNG")
    return output.getvalue()


@pytest.mark.parametrize("example", official_examples("ollama_api_examples.json"), ids=lambda e: e["name"])
def test_ollama_answers_the_documented_examples(ollama_emu, example):
    response = httpx.post(f"{ollama_emu.base_url}/api/chat", json=example["request"])
    assert response.status_code == 200, response.text
    lines = [json.loads(line) for line in response.text.splitlines()]
    final = lines[-1]
    assert set(example["response"]) <= set(final) and final["done"] is True
    message = final.get("message") if example["request"].get("stream") is False else lines[0]["message"]
    assert message["role"] == "assistant"
    if example.get("tool_call"):
        assert message["content"] == "" and message["tool_calls"][0]["function"]["name"] == example["tool_call"]
    else:
        assert "".join(line["message"]["content"] for line in lines if "message" in line)


@pytest.mark.parametrize("example", official_examples("gemini_api_examples.json"), ids=lambda e: e["name"])
def test_gemini_answers_the_documented_examples(gemini_emu, example):
    response = generate(gemini_emu, example["request"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(example["response"]) <= set(body)
    candidate = body["candidates"][0]
    assert candidate["content"]["role"] == "model" and candidate["finishReason"] == "STOP"
    part = candidate["content"]["parts"][0]
    if example.get("function_call"):
        assert part["functionCall"]["name"] == example["function_call"] and part["thoughtSignature"]
    else:
        assert part["text"]
    usage = body["usageMetadata"]
    assert usage["totalTokenCount"] == usage["promptTokenCount"] + usage["candidatesTokenCount"] + \
        usage.get("thoughtsTokenCount", 0)
    assert bool(usage.get("thoughtsTokenCount")) == bool(example.get("thoughts", True))
