"""langchain-openai as a client of the gateway: chat, stream, tools, embeddings."""

from __future__ import annotations

import pytest

from tests.tiny_models import TINY_DIMS

langchain_openai = pytest.importorskip("langchain_openai")


def chat_model(gateway, **kwargs):
    return langchain_openai.ChatOpenAI(base_url=gateway.url("/v1"), api_key=gateway.master_key, model="auto",
                                       max_retries=0, **kwargs)


def test_invoke_and_stream(gateway, ollama, gemini):
    model = chat_model(gateway)
    assert model.invoke("hello").content
    assert "".join(chunk.content for chunk in model.stream("hello"))
    assert gemini.requests == []  # strict by default


def test_flexible_through_extra_body(gateway, ollama, gemini):
    reply = chat_model(gateway, extra_body={"privacy_mode": "flexible"}).invoke("hello")
    assert reply.response_metadata["model_name"] == "chat-flexible"


def test_tools(gateway, ollama, gemini):
    def add(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b

    reply = chat_model(gateway, extra_body={"privacy_mode": "flexible"}).bind_tools([add]).invoke("add 2 and 3")
    assert reply.content or reply.tool_calls


def test_embeddings(gateway):
    embeddings = langchain_openai.OpenAIEmbeddings(base_url=gateway.url("/v1"), api_key=gateway.master_key,
                                                   model="bge-m3", check_embedding_ctx_length=False)
    vectors = embeddings.embed_documents(["first", "second"])
    assert len(vectors) == 2 and len(vectors[0]) == TINY_DIMS["bge-m3"]
    assert len(embeddings.embed_query("third")) == TINY_DIMS["bge-m3"]
