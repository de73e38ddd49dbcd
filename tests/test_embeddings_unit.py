"""Unit tests of the embedding server parts that need no model: device choice, settings, input decoding,
vector encoding, length buckets, the download file list and the provider's error mapping."""

from __future__ import annotations

import base64

import litellm
import numpy as np
import pytest

from embedding_server import (
    EmbeddingOptions,
    InputTooLarge,
    InvalidInput,
    ModelFailed,
    QueueFull,
    decode_vector,
    encode_vector,
    parse_settings,
)
from embedding_server.device import resolve_runtime
from embedding_server.inputs import RawInput, classify_inputs, open_image, payload_bytes, read_audio, resample
from plugins.embeddings_provider import litellm_error, request_options
from tests import media

MB = 1024 * 1024


# --- device ----------------------------------------------------------------------------------------
def test_auto_on_cuda_picks_fp16_tf32_and_cudnn_benchmark():
    runtime = resolve_runtime("auto", "auto", cuda_available=True)
    assert (runtime.device, runtime.dtype) == ("cuda", "float16")
    assert runtime.allow_tf32 and runtime.cudnn_benchmark


def test_auto_on_cpu_stays_fp32_without_cuda_switches():
    runtime = resolve_runtime("auto", "auto", cuda_available=False)
    assert (runtime.device, runtime.dtype) == ("cpu", "float32")
    assert not runtime.allow_tf32 and not runtime.cudnn_benchmark


def test_cuda_runtime_sets_tf32_and_cudnn_benchmark_switches():
    """apply_runtime only flips torch.backends flags, so the CUDA branch runs on a CPU-only machine too."""
    import torch

    from embedding_server.device import apply_runtime, set_tf32, tf32_enabled

    saved = (tf32_enabled(), torch.backends.cudnn.benchmark)
    try:
        apply_runtime(resolve_runtime("auto", "auto", cuda_available=True))
        assert tf32_enabled() and torch.backends.cudnn.benchmark
    finally:
        set_tf32(saved[0])
        torch.backends.cudnn.benchmark = saved[1]


def test_config_overrides_device_and_dtype():
    assert resolve_runtime("cuda:1", "bfloat16", cuda_available=True).device == "cuda:1"
    assert resolve_runtime("cuda:1", "bfloat16", cuda_available=True).dtype == "bfloat16"
    assert resolve_runtime("cpu", "auto", cuda_available=True).dtype == "float32"
    with pytest.raises(ValueError, match="CUDA is not available"):
        resolve_runtime("cuda", "auto", cuda_available=False)
    with pytest.raises(ValueError, match="dtype"):
        resolve_runtime("cpu", "float8", cuda_available=False)


# --- settings --------------------------------------------------------------------------------------
def test_settings_defaults_and_per_model_batching():
    settings = parse_settings({
        "batching": {"max_wait_ms": 7},
        "models": {
            "a": {"family": "text", "source": "x", "pooling": "mean"},
            "b": {"family": "clap", "source": "y", "dimensions": 512, "batching": {"max_batch_size": 4}},
        },
    })
    assert settings.load == "background" and settings.max_item_bytes == 20 * MB
    assert settings.models["a"].options == {"pooling": "mean"}
    assert settings.models["a"].batching.max_wait_ms == 7
    assert (settings.models["b"].batching.max_batch_size, settings.models["b"].batching.max_wait_ms) == (4, 7)
    with pytest.raises(ValueError, match="family"):
        parse_settings({"models": {"c": {"source": "z"}}})


def test_repo_config_declares_the_three_models():
    import yaml

    from tests.gateway_process import ROOT

    config = yaml.safe_load((ROOT / "litellm_config.yaml").read_text())
    settings = parse_settings(config["gateway"]["embeddings"])
    assert {name: spec.dimensions for name, spec in settings.models.items()} == {
        "bge-m3": 1024, "siglip": 1152, "clap": 512}
    groups = {entry["model_name"]: entry["litellm_params"]["model"] for entry in config["model_list"]}
    assert all(groups[name] == f"embedding_server/{name}" for name in settings.models)
    assert "embedding_server" in config["gateway"]["routing"]["local_providers"]


# --- inputs ----------------------------------------------------------------------------------------
def classify(raw, modality=None, max_items=10, max_bytes=MB):
    return classify_inputs(raw, modality, max_items=max_items, max_item_bytes=max_bytes)


def test_modality_comes_from_field_or_data_uri():
    uri = "data:image/png;base64," + base64.b64encode(media.png()).decode()
    assert [i.modality for i in classify(["hello", uri, "data:audio/wav;base64,AAAA"])] == ["text", "image", "audio"]
    assert [i.modality for i in classify([uri], "text")] == ["text"]
    assert classify("one")[0] == RawInput("text", "one")


@pytest.mark.parametrize("raw, message", [
    ([], "empty"), ("", "empty"), (["ok", "  "], r"input\[1\] is empty"), ([[1, 2, 3]], "token arrays"),
    (42, "string or a list"), ([b"\x00"], "binary"),
])
def test_bad_input_shapes_are_400(raw, message):
    with pytest.raises(InvalidInput, match=message):
        classify(raw)


def test_too_many_or_too_big_inputs_are_413():
    with pytest.raises(InputTooLarge, match="11 items"):
        classify(["x"] * 11)
    with pytest.raises(InputTooLarge, match="bytes"):
        classify(["x" * 2000], max_bytes=1000)
    big = RawInput("image", base64.b64encode(b"\x01" * 2000).decode())
    with pytest.raises(InputTooLarge):
        payload_bytes(big, 0, 1000)


def test_payloads_decode_from_data_uri_and_plain_base64():
    data = media.png()
    encoded = base64.b64encode(data).decode()
    assert payload_bytes(RawInput("image", f"data:image/png;base64,{encoded}"), 0, MB) == data
    assert payload_bytes(RawInput("image", encoded), 0, MB) == data
    with pytest.raises(InvalidInput, match="not valid base64"):
        payload_bytes(RawInput("image", "not base64 at all!"), 0, MB)
    with pytest.raises(InvalidInput, match="without ';base64'"):
        payload_bytes(RawInput("image", "data:image/png,abc"), 0, MB)


def test_images_decode_to_rgb_and_garbage_is_named():
    assert open_image(media.png(), 0, 10**6).mode == "RGB"
    with pytest.raises(InvalidInput, match=r"input\[3\] is not a decodable image"):
        open_image(b"this is not an image", 3, 10**6)
    with pytest.raises(InputTooLarge, match="pixels"):
        open_image(media.png(200, 200), 0, 1000)


@pytest.mark.parametrize("fmt", ["WAV", "FLAC", "OGG", "MP3"])
def test_audio_formats_decode_to_mono_at_target_rate(fmt):
    wave = read_audio(media.wav(seconds=0.5, rate=16000, channels=2, fmt=fmt), 0, 48000)
    assert wave.ndim == 1 and wave.dtype == np.float32
    assert abs(len(wave) - 24000) < 2500  # mp3 adds encoder padding


def test_undecodable_audio_is_named():
    with pytest.raises(InvalidInput, match=r"input\[0\] is not decodable audio"):
        read_audio(b"RIFF0000WAVEjunk", 0, 48000)


def test_resample_keeps_duration_and_shape():
    t = np.arange(16000) / 16000
    out = resample(np.sin(2 * np.pi * 5 * t), 16000, 48000)
    assert len(out) == 48000 and out.dtype == np.float32
    assert np.allclose(out[::3][:15000], np.sin(2 * np.pi * 5 * t)[:15000], atol=1e-3)


def test_length_buckets_sort_and_respect_the_token_budget():
    from embedding_server.models import length_buckets

    lengths = [30, 5, 12, 6, 40, 7]
    assert length_buckets(lengths, 0) == [[1, 3, 5, 2, 0, 4]]
    groups = length_buckets(lengths, 40)
    assert groups == [[1, 3, 5], [2], [0], [4]]
    assert all(len(g) * max(lengths[i] for i in g) <= 40 for g in groups)
    assert length_buckets([100], 10) == [[0]]  # an input longer than the budget still gets its own pass


def test_download_fetches_configs_and_one_copy_of_the_weights():
    from embedding_server.download import files_to_fetch

    repo = ["config.json", "pytorch_model.bin", "model.safetensors", "tokenizer.json", "sentencepiece.bpe.model",
            "onnx/model.onnx", "onnx/config.json", "colbert_linear.pt", "README.md", "imgs/bm25.jpg"]
    assert files_to_fetch(repo) == ["config.json", "model.safetensors", "sentencepiece.bpe.model", "tokenizer.json"]
    assert "pytorch_model.bin" in files_to_fetch([name for name in repo if name != "model.safetensors"])


# --- options and encoding --------------------------------------------------------------------------
def test_options_parse_and_reject():
    assert EmbeddingOptions.parse() == EmbeddingOptions(None, True, "float")
    assert EmbeddingOptions.parse("IMAGE", "false", "base64") == EmbeddingOptions("image", False, "base64")
    for bad in ({"modality": "video"}, {"normalize": "maybe"}, {"encoding_format": "int8"}):
        with pytest.raises(InvalidInput):
            EmbeddingOptions.parse(**bad)


def test_encoding_format_is_read_from_the_proxy_request_body():
    """LiteLLM drops encoding_format for custom providers; the provider finds it in the recorded body."""
    options = request_options({"modality": "text"}, {"proxy_server_request": {"body": {"encoding_format": "base64"}}})
    assert (options.modality, options.encoding_format) == ("text", "base64")


def test_base64_encoding_roundtrips_float32():
    vector = np.array([0.5, -1.25, 3.0e-3], dtype=np.float32)
    encoded = encode_vector(vector, "base64")
    assert isinstance(encoded, str) and np.array_equal(decode_vector(encoded), vector)
    assert decode_vector(encode_vector(vector, "float")).tolist() == vector.tolist()


def test_errors_map_to_litellm_exceptions_with_status():
    from embedding_server import ModelUnavailable, UnknownModel

    cases = [(InvalidInput("x"), 400), (UnknownModel("x"), 404), (InputTooLarge("x"), 413),
             (QueueFull("x", retry_after_s=3), 429), (ModelFailed("x"), 500), (ModelUnavailable("x"), 503)]
    for error, status in cases:
        mapped = litellm_error(error, "m")
        assert mapped.status_code == status
        # LiteLLM passes its own exception types through unchanged (exception_type), status included.
        assert any(isinstance(mapped, kind) for kind in litellm.LITELLM_EXCEPTION_TYPES)
    busy = litellm_error(QueueFull("x", retry_after_s=3), "m")
    assert busy.headers == {"retry-after": "3"} and busy.num_retries == 0
