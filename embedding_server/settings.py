"""The `gateway.embeddings` section of litellm_config.yaml, with its documented defaults.

Every knob of the embedding server is read here, once, into frozen dataclasses, so the rest of
the package never looks at raw YAML or carries a default of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

MB = 1024 * 1024
LOAD_MODES = ("background", "lazy")


@dataclass(frozen=True)
class BatchingSettings:
    """Dynamic micro-batching of one model: gather up to `max_batch_size` items, waiting at most `max_wait_ms`."""

    max_batch_size: int = 32
    max_wait_ms: float = 5.0
    max_queue_items: int = 1024  # items waiting for a forward pass; beyond this -> 429
    retry_after_s: int = 1  # Retry-After sent with that 429

    @classmethod
    def from_config(cls, raw: dict[str, Any] | None, base: BatchingSettings | None = None) -> BatchingSettings:
        merged = replace(base or cls(), **{k: v for k, v in (raw or {}).items() if k in cls.__dataclass_fields__})
        if merged.max_batch_size < 1 or merged.max_queue_items < 1 or merged.max_wait_ms < 0:
            raise ValueError(f"gateway.embeddings batching: invalid values {merged}")
        return merged


@dataclass(frozen=True)
class ModelSpec:
    """One embedding model: the model group it serves, its family, and where its weights come from."""

    name: str  # the LiteLLM model group, e.g. "bge-m3"
    family: str  # a key of embedding_server.models.FAMILIES
    source: str  # HF hub id or local directory, given to from_pretrained
    dimensions: int | None = None  # expected output size; checked when the model loads
    options: dict[str, Any] = field(default_factory=dict)  # family options, e.g. pooling, max_tokens
    batching: BatchingSettings = field(default_factory=BatchingSettings)


@dataclass(frozen=True)
class EmbeddingSettings:
    """All knobs of the in-process embedding server."""

    enabled: bool = True  # false: this process holds no embedding models (a front for embedding hosts)
    device: str = "auto"  # auto | cpu | cuda | cuda:N
    dtype: str = "auto"  # auto | float32 | float16 | bfloat16
    load: str = "background"  # background: start loading every model when the gateway starts; lazy: on first use
    retry_load_after_s: float = 30.0  # a model that failed to load is tried again after this long
    cpu_threads: int = 0  # torch intra-op threads on CPU; 0 keeps torch's default
    max_item_mb: float = 20.0  # one input (text, image or audio, decoded); larger -> 413
    max_items_per_request: int = 2048  # inputs in one request (OpenAI's limit); more -> 413
    max_image_pixels: int = 40_000_000  # decoded image size guard (decompression bombs) -> 413
    seed_routes: dict[str, str] = field(default_factory=dict)  # modality -> model group for /v1/embeddings/<modality>
    models: dict[str, ModelSpec] = field(default_factory=dict)

    @property
    def max_item_bytes(self) -> int:
        return int(self.max_item_mb * MB)


SCALARS = ("enabled", "device", "dtype", "load", "retry_load_after_s", "cpu_threads", "max_item_mb",
           "max_items_per_request", "max_image_pixels")
MODEL_KEYS = ("family", "source", "dimensions", "batching")


def parse_settings(raw: dict[str, Any] | None) -> EmbeddingSettings:
    """Build settings from the raw `gateway.embeddings` dict; unknown model keys become family options."""
    raw = dict(raw or {})
    batching = BatchingSettings.from_config(raw.get("batching"))
    models = {}
    for name, entry in (raw.get("models") or {}).items():
        entry = dict(entry or {})
        if not entry.get("family") or not entry.get("source"):
            raise ValueError(f"gateway.embeddings.models.{name} needs 'family' and 'source'")
        models[name] = ModelSpec(
            name=name,
            family=str(entry["family"]),
            source=str(entry["source"]),
            dimensions=int(entry["dimensions"]) if entry.get("dimensions") is not None else None,
            options={k: v for k, v in entry.items() if k not in MODEL_KEYS},
            batching=BatchingSettings.from_config(entry.get("batching"), base=batching),
        )
    settings = EmbeddingSettings(
        **{key: type(getattr(EmbeddingSettings, key))(raw[key]) for key in SCALARS if raw.get(key) is not None},
        seed_routes={str(k): str(v) for k, v in (raw.get("seed_routes") or {}).items()},
        models=models,
    )
    if settings.load not in LOAD_MODES:
        raise ValueError(f"gateway.embeddings.load must be one of {LOAD_MODES}, got {settings.load!r}")
    return settings

