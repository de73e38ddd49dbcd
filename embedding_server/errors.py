"""Errors of the embedding server, each carrying the HTTP status the client should see.

The package raises only these; the LiteLLM provider maps them to LiteLLM's exception classes
(which the proxy turns into the same status codes), so the status lives in one place.
"""

from __future__ import annotations


class EmbeddingError(Exception):
    """Base class: `status_code` is what the HTTP client receives."""

    status_code = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(EmbeddingError):
    """Empty, undecodable or wrong-modality input."""

    status_code = 400


class UnknownModel(EmbeddingError):
    """No embedding model is configured under that name."""

    status_code = 404


class InputTooLarge(EmbeddingError):
    """An input or a request over the configured limits."""

    status_code = 413


class QueueFull(EmbeddingError):
    """The model's batch queue is full: the client should retry after `retry_after_s`."""

    status_code = 429

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class ModelUnavailable(EmbeddingError):
    """The model's weights could not be loaded (e.g. not downloaded)."""

    status_code = 503


class ModelFailed(EmbeddingError):
    """The model raised during a forward pass; only that batch fails."""

    status_code = 500
