"""Model families: what each embeds, its output size, and how it preprocesses and pools.

Each family is one class whose attributes declare its modalities and preprocessing; the engine,
batcher and provider only use this interface and never look at a model's name. Weights load
through transformers' normal `from_pretrained` (hub id or local directory, hub downloads show
progress bars), so a model is swapped by editing `gateway.embeddings.models` only.
"""

from __future__ import annotations

import math
import os
import threading
from typing import Any, ClassVar

import numpy as np

from embedding_server.device import Runtime
from embedding_server.errors import ModelUnavailable
from embedding_server.inputs import RawInput, open_image, payload_bytes, read_audio
from embedding_server.settings import ModelSpec

# Models load one at a time: transformers resolves its classes through lazy imports that are not
# thread-safe (parallel first loads fail with "cannot import name 'AutoModel'").
LOADING = threading.Lock()
def weights_present(source: str) -> bool:
    """Whether `from_pretrained(source)` can work: a local directory, a hub id already in the cache, or
    a hub id that may still be downloaded (HF_HUB_OFFLINE unset)."""
    if os.path.isdir(source):
        return True
    from huggingface_hub import constants, try_to_load_from_cache

    if not constants.HF_HUB_OFFLINE:
        return True
    try:
        return isinstance(try_to_load_from_cache(source, "config.json"), str)
    except ValueError:  # not a valid hub id (e.g. a directory that does not exist): nothing to load
        return False


def require_weights(spec: ModelSpec) -> None:
    """ModelUnavailable when the weights are not there, checked before torch is even imported."""
    if not weights_present(spec.source):
        raise ModelUnavailable(f"Embedding model '{spec.name}' ({spec.source}) is not downloaded. "
                               + DOWNLOAD_HINT.format(name=spec.name))


DOWNLOAD_HINT = "Download it with `scripts/download_models` (or point gateway.embeddings.models.{name}.source at a " \
                "local copy)."


class EmbeddingModel:
    """Base of the families: loading, device placement and the batch forward pass."""

    family: ClassVar[str]
    modalities: ClassVar[tuple[str, ...]]  # the first one is the model's own (reported as `modality`)
    sampling_rate: ClassVar[int | None] = None  # audio input rate, when the family takes audio

    def __init__(self, spec: ModelSpec, runtime: Runtime) -> None:
        self.spec = spec
        self.runtime = runtime
        self.model: Any = None
        self.processor: Any = None
        self.dimensions: int | None = spec.dimensions

    @property
    def modality(self) -> str:
        return self.modalities[0]

    # --- loading -----------------------------------------------------------------------------
    def load(self) -> None:
        """Load weights and preprocessor; raise ModelUnavailable naming the model and the fix."""
        with LOADING:
            self._load()

    def _load(self) -> None:
        require_weights(self.spec)
        try:
            from transformers import AutoModel

            model = AutoModel.from_pretrained(self.spec.source, dtype=self.runtime.torch_dtype())
            self.processor = self.load_processor()
        except Exception as error:  # missing files, no network, corrupt weights: all mean "not available"
            raise ModelUnavailable(
                f"Embedding model '{self.spec.name}' ({self.spec.source}) is not available: "
                f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''} "
                + DOWNLOAD_HINT.format(name=self.spec.name)
            ) from error
        self.model = model.to(self.runtime.device).eval()
        actual = self.output_dimensions(model.config)
        if self.spec.dimensions is not None and actual != self.spec.dimensions:
            raise ModelUnavailable(
                f"Embedding model '{self.spec.name}' ({self.spec.source}) produces {actual}-d vectors but "
                f"gateway.embeddings.models.{self.spec.name}.dimensions says {self.spec.dimensions}."
            )
        self.dimensions = actual

    def load_processor(self) -> Any:
        from transformers import AutoProcessor

        return AutoProcessor.from_pretrained(self.spec.source)

    def output_dimensions(self, config: Any) -> int:
        raise NotImplementedError

    # --- per input (request side) ------------------------------------------------------------
    def prepare(self, item: RawInput, index: int, max_item_bytes: int, max_image_pixels: int) -> Any:
        """Decode one input into what `embed_batch` takes; per request, so a bad input fails only its request."""
        if item.modality == "text":
            return item.payload if isinstance(item.payload, str) else item.payload.decode("utf-8", "replace")
        data = payload_bytes(item, index, max_item_bytes)
        if item.modality == "image":
            return open_image(data, index, max_image_pixels)
        return self.clip_audio(read_audio(data, index, int(self.sampling_rate or 0)))

    def clip_audio(self, wave: np.ndarray) -> np.ndarray:
        return wave

    # --- per batch (worker thread) -----------------------------------------------------------
    def embed_batch(self, modality: str, items: list[Any]) -> tuple[np.ndarray, list[int]]:
        """One forward pass over a batch: float32 vectors (rows in order) and tokens used per item."""
        import torch

        with torch.inference_mode():
            vectors, tokens = self.forward(modality, items)
        return vectors.float().cpu().numpy(), tokens

    def forward(self, modality: str, items: list[Any]) -> tuple[Any, list[int]]:
        raise NotImplementedError

    def to_device(self, batch: Any) -> dict[str, Any]:
        """Move processor output to the model's device; floating tensors take the model's dtype (fp16 on CUDA)."""
        dtype = self.runtime.torch_dtype()
        return {
            key: value.to(self.runtime.device, dtype=dtype if value.is_floating_point() else None)
            for key, value in batch.items()
            if hasattr(value, "to")
        }


def pooled(output: Any) -> Any:
    """`get_*_features` return a tensor in some transformers versions and a model output in others."""
    return output if not hasattr(output, "pooler_output") else output.pooler_output


def length_buckets(lengths: list[int], max_batch_tokens: int) -> list[list[int]]:
    """Split a batch into forward passes of similar length, each padding to at most `max_batch_tokens`.

    Padding every text to the batch's longest wastes compute (and, for an 8192-token document
    batched with short queries, memory); sorting by length and cutting at a padded-token budget
    keeps the waste small. `max_batch_tokens <= 0` keeps one pass.
    """
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    if max_batch_tokens <= 0:
        return [order]
    groups: list[list[int]] = [[]]
    for index in order:  # ascending, so `index` is the longest of its group so far
        if groups[-1] and (len(groups[-1]) + 1) * lengths[index] > max_batch_tokens:
            groups.append([])
        groups[-1].append(index)
    return groups


class TextEncoder(EmbeddingModel):
    """A text transformer (bge-m3: XLM-RoBERTa) pooled to one vector.

    `pooling: cls` is bge-m3's dense vector; `mean` suits sentence-transformers models such as MiniLM.
    `max_batch_tokens` bounds the padded tokens of one forward pass (see `length_buckets`).
    """

    family = "text"
    modalities = ("text",)

    def load_processor(self) -> Any:
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(self.spec.source)

    def output_dimensions(self, config: Any) -> int:
        return int(config.hidden_size)

    @property
    def max_tokens(self) -> int:
        limit: int = self.spec.options.get("max_tokens") or getattr(self.processor, "model_max_length", 512) or 512
        return int(min(int(limit), 1_000_000))

    def forward(self, modality: str, items: list[str]) -> tuple[Any, list[int]]:
        import torch

        lengths = [len(ids) for ids in self.processor(items, truncation=True, max_length=self.max_tokens)["input_ids"]]
        groups = length_buckets(lengths, int(self.spec.options.get("max_batch_tokens") or 0))
        vectors = torch.cat([self.encode([items[i] for i in group]) for group in groups])
        order = torch.tensor([i for group in groups for i in group], device=vectors.device)
        return vectors[torch.argsort(order)], lengths

    def encode(self, texts: list[str]) -> Any:
        batch = self.processor(texts, padding=True, truncation=True, max_length=self.max_tokens, return_tensors="pt")
        batch = self.to_device(batch)
        hidden = self.model(**batch).last_hidden_state
        if self.spec.options.get("pooling", "cls") == "mean":
            weights = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            return (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1)
        return hidden[:, 0]


class SiglipEncoder(EmbeddingModel):
    """SigLIP: images, and text through its text tower into the same space (text->image search)."""

    family = "siglip"
    modalities = ("image", "text")
    text_padding = "max_length"  # SigLIP was trained on max-length padded text

    def output_dimensions(self, config: Any) -> int:
        return int(config.vision_config.hidden_size)

    def forward(self, modality: str, items: list[Any]) -> tuple[Any, list[int]]:
        if modality == "image":
            batch = self.to_device(self.processor(images=items, return_tensors="pt"))
            vision = self.model.config.vision_config
            patches = (vision.image_size // vision.patch_size) ** 2
            return pooled(self.model.get_image_features(pixel_values=batch["pixel_values"])), [patches] * len(items)
        batch = self.processor(text=items, padding=self.text_padding, truncation=True, return_tensors="pt")
        batch = self.to_device(batch)
        pad_id = getattr(self.processor.tokenizer, "pad_token_id", None)
        tokens = (batch["input_ids"] != pad_id).sum(dim=1) if pad_id is not None else batch["input_ids"].shape[1]
        vectors = pooled(self.model.get_text_features(input_ids=batch["input_ids"]))
        return vectors, [int(n) for n in (tokens.tolist() if hasattr(tokens, "tolist") else [tokens] * len(items))]


class ClapEncoder(EmbeddingModel):
    """CLAP: audio (48 kHz, first `max_length_s` seconds), and text into the same space (text->audio search)."""

    family = "clap"
    modalities = ("audio", "text")
    sampling_rate = 48_000

    def _load(self) -> None:
        super()._load()
        extractor = self.processor.feature_extractor
        self.sampling_rate = int(getattr(extractor, "sampling_rate", None) or type(self).sampling_rate)  # type: ignore[misc]
        self.max_samples = int(getattr(extractor, "nb_max_samples", 0) or 0)

    def output_dimensions(self, config: Any) -> int:
        return int(config.projection_dim)

    def clip_audio(self, wave: np.ndarray) -> np.ndarray:
        """Keep the window CLAP sees, deterministically (its processor would crop at random)."""
        return wave[: self.max_samples] if self.max_samples else wave

    def forward(self, modality: str, items: list[Any]) -> tuple[Any, list[int]]:
        if modality == "audio":
            batch = self.processor(audio=items, sampling_rate=self.sampling_rate, return_tensors="pt")
            batch = self.to_device(batch)
            features = self.model.get_audio_features(
                input_features=batch["input_features"], is_longer=batch.get("is_longer")
            )
            seconds = [max(1, math.ceil(len(wave) / self.sampling_rate)) for wave in items]
            return pooled(features), seconds
        batch = self.to_device(self.processor(text=items, padding=True, truncation=True, return_tensors="pt"))
        features = self.model.get_text_features(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
        return pooled(features), [int(n) for n in batch["attention_mask"].sum(dim=1).tolist()]


FAMILIES: dict[str, type[EmbeddingModel]] = {cls.family: cls for cls in (TextEncoder, SiglipEncoder, ClapEncoder)}


def family_of(spec: ModelSpec) -> type[EmbeddingModel]:
    try:
        return FAMILIES[spec.family]
    except KeyError:
        raise ValueError(
            f"gateway.embeddings.models.{spec.name}.family is {spec.family!r}; known families: {', '.join(FAMILIES)}"
        ) from None
