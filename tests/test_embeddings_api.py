"""Embeddings through the real proxy: `/v1/embeddings` with the openai SDK and the seed routes,
with the tiny models of the real architectures loaded by the gateway process."""

from __future__ import annotations

import base64
import copy
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

import httpx
import numpy as np
import openai
import pytest
import yaml

from embedding_server import decode_vector
from tests import media
from tests.tiny_models import TINY_DIMS

IMAGE = media.png()
AUDIO = media.wav()
CONFIG = Path(__file__).resolve().parents[1] / "litellm_config.yaml"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def models_info(gateway) -> dict[str, dict]:
    response = httpx.get(gateway.url("/v1/embeddings/models"), headers=gateway.auth, timeout=30)
    assert response.status_code == 200, response.text
    return {entry["model"]: entry for entry in response.json()["data"]}


def error_of(response: httpx.Response) -> str:
    return response.json()["error"]["message"]


# --- /v1/embeddings with the openai SDK --------------------------------------------------------
def test_openai_sdk_embeds_a_list_of_texts(gateway):
    result = gateway.client().embeddings.create(model="bge-m3", input=["hello world", "bonjour le monde"])
    assert result.model == "bge-m3" and [d.index for d in result.data] == [0, 1]
    vectors = np.array([d.embedding for d in result.data])
    assert vectors.shape == (2, TINY_DIMS["bge-m3"])
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert result.usage.prompt_tokens > 0 and result.usage.total_tokens == result.usage.prompt_tokens


def test_models_report_the_dimensions_the_responses_have(gateway):
    info = models_info(gateway)
    client = gateway.client()
    for model, modality in (("bge-m3", "text"), ("siglip", "image"), ("clap", "audio")):
        assert info[model]["dimensions"] == TINY_DIMS[model] and info[model]["modality"] == modality
        assert (info[model]["device"], info[model]["dtype"]) == ("cpu", "float32")
        assert len(client.embeddings.create(model=model, input="some text").data[0].embedding) == TINY_DIMS[model]


def test_float_and_base64_encodings_carry_the_same_vector(gateway):
    client = gateway.client()
    texts = ["same text", "another one"]
    as_float = client.embeddings.create(model="bge-m3", input=texts, encoding_format="float")
    as_base64 = client.embeddings.create(model="bge-m3", input=texts, encoding_format="base64")
    assert all(isinstance(d.embedding, str) for d in as_base64.data)
    for f, b in zip(as_float.data, as_base64.data, strict=True):
        assert np.allclose(decode_vector(b.embedding), f.embedding, atol=1e-7)
    sdk_default = client.embeddings.create(model="bge-m3", input=texts)  # the SDK asks base64 and decodes it
    assert np.allclose(sdk_default.data[0].embedding, as_float.data[0].embedding, atol=1e-7)


def test_normalize_false_returns_raw_vectors(gateway):
    raw = gateway.client().embeddings.create(model="bge-m3", input="a sentence", extra_body={"normalize": False})
    assert abs(np.linalg.norm(raw.data[0].embedding) - 1.0) > 1e-3


def test_images_and_audio_share_a_space_with_text(gateway):
    client = gateway.client()
    image = client.embeddings.create(model="siglip", input=[b64(IMAGE)], extra_body={"modality": "image"})
    image_uri = client.embeddings.create(model="siglip", input=f"data:image/png;base64,{b64(IMAGE)}")
    caption = client.embeddings.create(model="siglip", input="a red square")
    assert np.allclose(image.data[0].embedding, image_uri.data[0].embedding, atol=1e-6)
    assert len(caption.data[0].embedding) == len(image.data[0].embedding) == TINY_DIMS["siglip"]
    sound = client.embeddings.create(model="clap", input=[f"data:audio/wav;base64,{b64(AUDIO)}", "a beep"])
    assert [len(d.embedding) for d in sound.data] == [TINY_DIMS["clap"]] * 2


def test_concurrent_requests_get_the_vectors_of_single_requests(gateway):
    client = gateway.client()
    texts = [f"text number {n}" for n in range(8)]
    singles = [client.embeddings.create(model="bge-m3", input=t, encoding_format="float").data[0].embedding
               for t in texts]
    with ThreadPoolExecutor(8) as pool:
        together = list(pool.map(
            lambda t: client.embeddings.create(model="bge-m3", input=t, encoding_format="float").data[0].embedding,
            texts))
    assert np.allclose(singles, together, atol=1e-5)


@pytest.mark.parametrize("body, message", [
    ({"model": "bge-m3", "input": ""}, "input[0] is empty"),
    ({"model": "bge-m3", "input": []}, "input is empty"),
    ({"model": "bge-m3", "input": b64(AUDIO), "modality": "audio"}, "'bge-m3' embeds text; input[0] is audio"),
    ({"model": "siglip", "input": b64(b"not an image"), "modality": "image"}, "input[0] is not a decodable image"),
    ({"model": "clap", "input": "data:audio/wav;base64,AAAA"}, "input[0] is not decodable audio"),
    ({"model": "siglip", "input": "%%%", "modality": "image"}, "not valid base64"),
    ({"model": "bge-m3", "input": "x", "modality": "video"}, "modality must be one of"),
])
def test_bad_input_is_400_naming_the_problem(gateway, body, message):
    response = httpx.post(gateway.url("/v1/embeddings"), headers=gateway.auth, json=body, timeout=30)
    assert response.status_code == 400, response.text
    assert message in error_of(response)
    assert not error_of(response).startswith("litellm."), error_of(response)  # no LiteLLM class prefix


def test_openai_sized_batches_of_2048_inputs_are_embedded(gateway):
    """LangChain (1000), the Vercel AI SDK (2048) and litellm send big batches; OpenAI accepts 2048."""
    client = gateway.client()
    texts = [f"document number {n} about topic {n % 7}" for n in range(2048)]
    before = models_info(gateway)["bge-m3"]["batches"]["text"]
    result = client.embeddings.create(model="bge-m3", input=texts, encoding_format="float")
    assert [d.index for d in result.data] == list(range(2048))
    after = models_info(gateway)["bge-m3"]["batches"]["text"]
    assert after["items"] - before["items"] == 2048 and after["largest"] <= 32  # the engine's own batches
    for n in (0, 1000, 2047):  # each vector is the one of that text alone
        alone = client.embeddings.create(model="bge-m3", input=texts[n], encoding_format="float").data[0]
        assert np.allclose(result.data[n].embedding, alone.embedding, atol=1e-5)
    response = httpx.post(gateway.url("/v1/embeddings"), headers=gateway.auth,
                          json={"model": "bge-m3", "input": ["x"] * 2049}, timeout=60)
    assert response.status_code == 413, response.text
    assert error_of(response) == "input has 2049 items; the limit is 2048 per request."


def test_unknown_embedding_model_is_404_model_not_found_like_chat(gateway, gemini, ollama):
    with pytest.raises(openai.NotFoundError) as refused:
        gateway.client().embeddings.create(model="text-embedding-3-small", input="hello")
    assert refused.value.code == "model_not_found" and "bge-m3" in refused.value.message
    assert not refused.value.message.startswith("litellm.")
    with pytest.raises(openai.BadRequestError) as refused_group:  # a group that exists, but is no embedding model
        gateway.client().embeddings.create(model="chat-flexible", input="hello")
    assert refused_group.value.body["param"] == "model" and "not an embedding model" in refused_group.value.message
    assert gemini.generate_count == 0 and ollama.chat_requests == []


def test_sdk_raises_bad_request_for_wrong_modality(gateway):
    with pytest.raises(openai.BadRequestError):
        gateway.client().embeddings.create(model="clap", input=b64(IMAGE), extra_body={"modality": "image"})


# --- seed routes ---------------------------------------------------------------------------------
def test_seed_text_route_single_and_list(gateway):
    one = httpx.post(gateway.url("/v1/embeddings/text"), headers=gateway.auth, json={"text": "hola"}, timeout=30)
    assert one.status_code == 200, one.text
    body = one.json()
    assert (body["model"], body["dimensions"], len(body["embedding"])) == ("bge-m3", 24, 24)
    assert "embeddings" not in body and body["usage"]["prompt_tokens"] > 0
    many = httpx.post(gateway.url("/v1/embeddings/text"), headers=gateway.auth,
                      json={"text": ["hola", "adios"], "normalize": False}, timeout=30).json()
    assert len(many["embeddings"]) == 2 and "embedding" not in many
    same = gateway.client().embeddings.create(model="bge-m3", input="hola", encoding_format="float")
    assert np.allclose(body["embedding"], same.data[0].embedding, atol=1e-6)


def test_seed_text_route_can_use_a_multimodal_text_tower(gateway):
    body = httpx.post(gateway.url("/v1/embeddings/text"), headers=gateway.auth,
                      json={"text": "a cat", "model": "siglip"}, timeout=30).json()
    assert (body["model"], body["dimensions"]) == ("siglip", TINY_DIMS["siglip"])


def test_seed_routes_go_through_litellm_request_processing(gateway):
    """Same pipeline as /v1/embeddings: LiteLLM's call id, model group and cost headers (spend tracking)."""
    response = httpx.post(gateway.url("/v1/embeddings/text"), headers=gateway.auth, json={"text": "spend"}, timeout=30)
    assert response.headers["x-litellm-model-group"] == "bge-m3"
    assert "x-litellm-call-id" in response.headers and "x-litellm-key-spend" in response.headers
    assert response.headers["x-litellm-response-cost-original"] == "0.0"  # local models are free, but counted


def test_seed_image_route(gateway):
    response = httpx.post(gateway.url("/v1/embeddings/image"), headers=gateway.auth,
                          files={"file": ("red.png", IMAGE, "image/png")}, timeout=30)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["model"], body["dimensions"], len(body["embedding"])) == ("siglip", 40, 40)
    via_sdk = gateway.client().embeddings.create(model="siglip", input=b64(IMAGE), encoding_format="float",
                                                 extra_body={"modality": "image"})
    assert np.allclose(body["embedding"], via_sdk.data[0].embedding, atol=1e-6)


@pytest.mark.parametrize("fmt, name", [("WAV", "a.wav"), ("FLAC", "a.flac"), ("OGG", "a.ogg"), ("MP3", "a.mp3")])
def test_seed_audio_route_decodes_common_formats(gateway, fmt, name):
    response = httpx.post(gateway.url("/v1/embeddings/audio"), headers=gateway.auth,
                          files={"file": (name, media.wav(rate=44100, fmt=fmt), "application/octet-stream")},
                          timeout=30)
    assert response.status_code == 200, response.text
    assert (response.json()["model"], response.json()["dimensions"]) == ("clap", TINY_DIMS["clap"])


def test_seed_route_without_its_file_field_is_422(gateway):
    """A required field missing is a 422, as FastAPI answers every other validation failure."""
    response = httpx.post(gateway.url("/v1/embeddings/image"), headers=gateway.auth, timeout=30,
                          files={"other": ("x.png", IMAGE, "image/png")})
    assert response.status_code == 422, response.text
    assert "field 'file' is required" in error_of(response)


@pytest.mark.parametrize("route, kwargs, message", [
    ("/v1/embeddings/text", {"json": {"text": []}}, "input is empty"),
    ("/v1/embeddings/text", {"json": {"words": "x"}}, 'Field "text" is required'),
    ("/v1/embeddings/text", {"content": b"{no", "headers": {"content-type": "application/json"}}, "not valid JSON"),
    ("/v1/embeddings/image", {"files": {"file": ("x.png", b"garbage", "image/png")}}, "not a decodable image"),
    ("/v1/embeddings/audio", {"files": {"file": ("x.wav", b"garbage", "audio/wav")}}, "not decodable audio"),
])
def test_seed_routes_reject_bad_input_with_400(gateway, route, kwargs, message):
    headers = {**gateway.auth, **kwargs.pop("headers", {})}
    response = httpx.post(gateway.url(route), headers=headers, timeout=30, **kwargs)
    assert response.status_code == 400, response.text
    assert message in error_of(response)


@pytest.mark.parametrize("method, route", [
    ("POST", "/v1/embeddings/text"), ("POST", "/v1/embeddings/image"), ("POST", "/v1/embeddings/audio"),
    ("GET", "/v1/embeddings/models"), ("POST", "/v1/embeddings"),
])
def test_routes_authenticate_like_litellm(gateway, method, route):
    assert httpx.request(method, gateway.url(route), json={"text": "x"}, timeout=30).status_code == 401
    # A wrong key gets exactly what LiteLLM's own /v1/embeddings answers (without a database: 400 "No connected db").
    wrong = {"Authorization": "Bearer sk-wrong"}
    litellm_own = httpx.post(gateway.url("/v1/embeddings"), json={"model": "bge-m3", "input": "x"}, headers=wrong)
    ours = httpx.request(method, gateway.url(route), json={"text": "x"}, headers=wrong, timeout=30)
    assert ours.status_code == litellm_own.status_code != 200


# --- limits and failures, on a gateway configured for them -----------------------------------------
@pytest.fixture
def constrained(start_gateway, tmp_path):
    """Small limits, a tiny queue for bge-m3, long batching window for siglip, and CLAP not downloaded."""
    return start_gateway(config_overrides={"gateway": {"embeddings": {
        "max_item_mb": 0.05,
        "max_items_per_request": 16,
        "models": {
            "bge-m3": {"batching": {"max_batch_size": 1, "max_wait_ms": 0, "max_queue_items": 16, "retry_after_s": 3}},
            "siglip": {"batching": {"max_batch_size": 16, "max_wait_ms": 300}},
            "clap": {"source": str(tmp_path / "clap-not-downloaded")},
        },
    }}})


def test_limits_missing_model_full_queue_and_batching_through_the_proxy(constrained):
    gateway, client = constrained, constrained.client()
    big = b64(b"\x00" * 80_000)
    # 413: one input over max_item_mb, on both APIs; too many inputs.
    response = httpx.post(gateway.url("/v1/embeddings"), headers=gateway.auth,
                          json={"model": "siglip", "input": big, "modality": "image"}, timeout=30)
    assert response.status_code == 413 and "limit" in error_of(response)
    response = httpx.post(gateway.url("/v1/embeddings/image"), headers=gateway.auth,
                          files={"file": ("big.png", b"\x00" * 80_000, "image/png")}, timeout=30)
    assert response.status_code == 413
    response = httpx.post(gateway.url("/v1/embeddings"), headers=gateway.auth,
                          json={"model": "bge-m3", "input": ["x"] * 17}, timeout=30)
    assert response.status_code == 413 and "17 items" in error_of(response)

    # 503: CLAP's weights are missing; the message names the model and the download command.
    for response in (
        httpx.post(gateway.url("/v1/embeddings"), headers=gateway.auth, json={"model": "clap", "input": "x"},
                   timeout=30),
        httpx.post(gateway.url("/v1/embeddings/audio"), headers=gateway.auth,
                   files={"file": ("a.wav", AUDIO, "audio/wav")}, timeout=30),
    ):
        assert response.status_code == 503, response.text
        assert "'clap'" in error_of(response) and "scripts/download_models" in error_of(response)
    assert client.embeddings.create(model="bge-m3", input="the others keep working").data
    assert client.embeddings.create(model="siglip", input="the others keep working").data
    info = models_info(gateway)
    assert info["clap"]["status"] == "failed" and info["bge-m3"]["loaded"] and info["siglip"]["loaded"]

    # Batching: concurrent image requests share forward passes and get the vectors of single requests.
    single = client.embeddings.create(model="siglip", input=b64(IMAGE), extra_body={"modality": "image"},
                                      encoding_format="float").data[0].embedding
    # A two-image request is a batch with company, so the next inputs wait max_wait_ms for others
    # (a lone request on an idle model would run at once).
    client.embeddings.create(model="siglip", input=[b64(IMAGE)] * 2, extra_body={"modality": "image"})
    before = models_info(gateway)["siglip"]["batches"]["image"]
    with ThreadPoolExecutor(6) as pool:
        vectors = list(pool.map(lambda _: client.embeddings.create(
            model="siglip", input=b64(IMAGE), extra_body={"modality": "image"}, encoding_format="float",
        ).data[0].embedding, range(6)))
    after = models_info(gateway)["siglip"]["batches"]["image"]
    assert after["items"] - before["items"] == 6 and after["batches"] - before["batches"] < 6
    assert after["largest"] > 1 and np.allclose(vectors, [single] * 6, atol=1e-5)

    # 429 with Retry-After: bge-m3 runs one input at a time and queues at most 16.
    def flood(_):
        return httpx.post(gateway.url("/v1/embeddings"), headers=gateway.auth,
                          json={"model": "bge-m3", "input": ["some words to embed " * 20] * 16}, timeout=60)

    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(flood, range(16)))
    statuses = {response.status_code for response in responses}
    assert statuses <= {200, 429} and 429 in statuses and 200 in statuses
    refused = next(response for response in responses if response.status_code == 429)
    assert refused.headers.get("retry-after") == "3" and "busy" in error_of(refused)
    error = refused.json()["error"]  # the same type and code as every other 429 (OpenAI's)
    assert (error["type"], error["code"]) == ("rate_limit_error", "rate_limit_exceeded")
    assert error["message"].startswith("Embedding model 'bge-m3' is busy"), error
    assert client.embeddings.create(model="bge-m3", input="after the flood").data  # still serving


def test_every_429_has_openai_rate_limit_type_and_code(start_gateway, ollama):
    """LiteLLM's deployment rate limit (its "throttling_error") reads like the gateway's own 429s."""
    model_list = copy.deepcopy(yaml.safe_load(CONFIG.read_text())["model_list"])
    for deployment in model_list:
        if deployment["model_name"] in ("bge-m3", "chat-strict"):
            deployment["litellm_params"]["rpm"] = 1
    gateway = start_gateway(config_overrides={"model_list": model_list})
    second = datetime.now(timezone.utc).second
    if second >= 55:  # LiteLLM counts per calendar minute: keep both calls inside one
        time.sleep(60.5 - second)
    calls = [("/v1/embeddings", {"model": "bge-m3", "input": "hello"}),
             ("/v1/chat/completions", {"model": "chat-strict", "messages": [{"role": "user", "content": "hi"}]})]
    for path, body in calls:
        first = httpx.post(gateway.url(path), headers=gateway.auth, json=body, timeout=60)
        assert first.status_code == 200, first.text
        limited = httpx.post(gateway.url(path), headers=gateway.auth, json=body, timeout=60)
        assert limited.status_code == 429, limited.text
        error = limited.json()["error"]
        assert (error["type"], error["code"]) == ("rate_limit_error", "rate_limit_exceeded"), error
        assert "RPM limit=1" in error["message"] and limited.headers.get("retry-after")
    assert len(ollama.chat_requests) == 1
