"""Request options and response shapes of the embeddings API, in one place.

`EmbeddingOptions` are the non-OpenAI fields a `/v1/embeddings` request may carry (openai SDK
`extra_body`); the seed routes' request and response models are declared here for validation
and for the OpenAPI page.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from embedding_server.errors import InvalidInput
from embedding_server.inputs import MODALITIES

ENCODING_FORMATS = ("float", "base64")
TRUE_WORDS = ("true", "1", "yes", "on")
FALSE_WORDS = ("false", "0", "no", "off")


def parse_bool(value: Any, name: str, default: bool) -> bool:
    """Booleans arrive as JSON booleans or as form / query strings."""
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in TRUE_WORDS + FALSE_WORDS:
        return value.strip().lower() in TRUE_WORDS
    raise InvalidInput(f"{name} must be true or false, got {value!r}.")


@dataclass(frozen=True)
class EmbeddingOptions:
    """How to embed and return: modality (None: inferred per input), normalize, encoding_format."""

    modality: str | None = None
    normalize: bool = True
    encoding_format: str = "float"

    @classmethod
    def parse(cls, modality: Any = None, normalize: Any = None, encoding_format: Any = None) -> EmbeddingOptions:
        if modality is not None and (not isinstance(modality, str) or modality.lower() not in MODALITIES):
            raise InvalidInput(f"modality must be one of {', '.join(MODALITIES)}, got {modality!r}.")
        if encoding_format is not None and encoding_format not in ENCODING_FORMATS:
            allowed = ", ".join(ENCODING_FORMATS)
            raise InvalidInput(f"encoding_format must be one of {allowed}, got {encoding_format!r}.")
        return cls(
            modality=modality.lower() if isinstance(modality, str) else None,
            normalize=parse_bool(normalize, "normalize", True),
            encoding_format=encoding_format or "float",
        )


def encode_vector(vector: np.ndarray, encoding_format: str) -> list[float] | str:
    """OpenAI's encodings: a list of floats, or base64 of little-endian float32 bytes."""
    if encoding_format == "base64":
        return base64.b64encode(np.asarray(vector, dtype="<f4").tobytes()).decode("ascii")
    return [float(x) for x in vector]


def decode_vector(encoded: list[float] | str) -> np.ndarray:
    """Inverse of `encode_vector` (for clients and tests)."""
    if isinstance(encoded, str):
        return np.frombuffer(base64.b64decode(encoded), dtype="<f4")
    return np.asarray(encoded, dtype=np.float32)


# --- seed routes ---------------------------------------------------------------------------------
class TextEmbeddingRequest(BaseModel):
    """Body of `POST /v1/embeddings/text`."""

    text: str | list[str] = Field(description="One text, or a list of texts.")
    normalize: bool = Field(True, description="L2-normalise the vectors.")
    model: str | None = Field(None, description="Model group; default: the text model (gateway.embeddings.seed_routes)."
                              " A multimodal group (siglip, clap) embeds the text with its text tower.")


class Usage(BaseModel):
    prompt_tokens: int
    total_tokens: int


class SeedEmbeddingResponse(BaseModel):
    """Response of the seed routes: `embedding` for one input, `embeddings` for a list."""

    model: str
    dimensions: int
    embedding: list[float] | None = None
    embeddings: list[list[float]] | None = None
    usage: Usage | None = None


def seed_response(model: str, vectors: list[list[float]], single: bool, usage: dict[str, Any] | None) -> dict:
    """The seed routes' shape, built from an OpenAI-style embeddings response."""
    body: dict[str, Any] = {"model": model, "dimensions": len(vectors[0]) if vectors else 0}
    body["embedding" if single else "embeddings"] = vectors[0] if single else vectors
    if usage:
        body["usage"] = {"prompt_tokens": int(usage.get("prompt_tokens") or 0),
                         "total_tokens": int(usage.get("total_tokens") or 0)}
    return body
