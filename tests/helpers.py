"""Assertions about what reached each backend."""

from __future__ import annotations

import re

from tests import media


def chat_bodies(ollama) -> list[dict]:
    """Bodies of the /api/chat requests Ollama received, in order."""
    return [record.body for record in ollama.requests if record.path == "/api/chat"]


def ollama_images(ollama) -> list[str]:
    """Every base64 image Ollama received in chat messages."""
    messages = [message for body in chat_bodies(ollama) for message in body["messages"]]
    return [image for message in messages for image in message.get("images", [])]


def gemini_calls(gemini) -> list:
    """generateContent / streamGenerateContent requests Gemini received."""
    return [record for record in gemini.requests if record.method == "POST" and "Content" in record.path]


def camel(value):
    """Gemini accepts snake_case and camelCase field names alike; compare in camelCase."""
    if isinstance(value, dict):
        return {re.sub(r"_([a-z])", lambda m: m.group(1).upper(), key): camel(item) for key, item in value.items()}
    return [camel(item) for item in value] if isinstance(value, list) else value


def gemini_parts(gemini) -> list[dict]:
    """Every part of every content of every model call Gemini received (camelCase keys)."""
    contents = [content for call in gemini_calls(gemini) for content in call.body["contents"]]
    return [camel(part) for content in contents for part in content["parts"]]


def tiny_png_data_uri() -> str:
    return media.data_uri("image/png", media.png())
