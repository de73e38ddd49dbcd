"""In-process multimodal embeddings: text (bge-m3), image (SigLIP) and audio (CLAP) models held in the
gateway's own process, with dynamic micro-batching. `plugins/embeddings_provider.py` exposes it to
LiteLLM; this package knows nothing about LiteLLM.
"""

from embedding_server.engine import EmbeddingEngine, EmbeddingResult
from embedding_server.errors import (
    EmbeddingError,
    InputTooLarge,
    InvalidInput,
    ModelFailed,
    ModelUnavailable,
    QueueFull,
    UnknownModel,
)
from embedding_server.schemas import EmbeddingOptions, decode_vector, encode_vector
from embedding_server.settings import EmbeddingSettings, parse_settings

__all__ = [
    "EmbeddingEngine",
    "EmbeddingError",
    "EmbeddingOptions",
    "EmbeddingResult",
    "EmbeddingSettings",
    "InputTooLarge",
    "InvalidInput",
    "ModelFailed",
    "ModelUnavailable",
    "QueueFull",
    "UnknownModel",
    "decode_vector",
    "encode_vector",
    "parse_settings",
]
