"""Tiny random-weight embedding models of the real architectures (filled in by the embeddings work)."""

from pathlib import Path


def tiny_model_overrides(directory: Path) -> dict:
    return {}
