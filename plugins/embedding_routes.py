"""Seed embedding routes (filled in by the embeddings work)."""


def embedding_routes() -> list:
    return []
