"""Chat completions in exactly the shape OpenAI's spec gives them, whatever LiteLLM and the provider left.

LiteLLM serialises responses and stream chunks without their null fields and with provider extras.
OpenAI's `CreateChatCompletionResponse` requires `choices[].logprobs` and `message.refusal` (nullable);
`CreateChatCompletionStreamResponse` requires `choices[].finish_reason` (null until the end), one `id`
per stream, and `choices: []` on the usage chunk of `stream_options.include_usage`. Provider fields
OpenAI never sends are dropped. Applied to the bytes on their way out, for JSON and for SSE.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.datastructures import Headers
from starlette.types import Message, Send

PROVIDER_FIELDS = ("provider_specific_fields", "thinking_blocks", "images")
CHAT_PATHS = ("/v1/chat/completions", "/chat/completions")


def _clean(item: dict[str, Any]) -> None:
    for name in list(item):
        if name in PROVIDER_FIELDS or name.startswith("vertex_ai"):
            item.pop(name)


def shape_completion(body: dict[str, Any]) -> dict[str, Any]:
    """A `chat.completion` object with every required field."""
    _clean(body)
    for choice in body.get("choices") or []:
        if not isinstance(choice, dict):
            continue
        _clean(choice)
        choice.setdefault("logprobs", None)
        message = choice.setdefault("message", {"role": "assistant"})
        if isinstance(message, dict):
            _clean(message)
            message.setdefault("content", None)
            message.setdefault("refusal", None)
            message.setdefault("role", "assistant")
    return body


class StreamShaper:
    """Shapes the chunks of one stream: one id, `finish_reason` always present, usage chunk with no choices."""

    def __init__(self) -> None:
        self.id: str | None = None

    def chunk(self, body: dict[str, Any]) -> dict[str, Any]:
        _clean(body)
        if isinstance(body.get("id"), str):
            self.id = self.id or body["id"]
            body["id"] = self.id
        choices = [choice for choice in body.get("choices") or [] if isinstance(choice, dict)]
        for choice in choices:
            _clean(choice)
            choice.setdefault("finish_reason", None)
            delta = choice.setdefault("delta", {})
            if isinstance(delta, dict):
                _clean(delta)
        usage_only = body.get("usage") and all(not choice.get("delta") and choice.get("finish_reason") is None
                                               for choice in choices)
        if usage_only:
            body["choices"] = []
        return body


def _reshape_json(raw: bytes) -> bytes:
    try:
        body = json.loads(raw)
    except ValueError:
        return raw
    if isinstance(body, dict) and body.get("object") == "chat.completion":
        return json.dumps(shape_completion(body)).encode()
    return raw


class ShapedSend:
    """Wraps `send` for a chat-completions request; rewrites JSON answers and SSE events."""

    def __init__(self, send: Send) -> None:
        self.send = send
        self.mode = ""  # "json" | "sse" | "" (pass through)
        self.start: Message | None = None
        self.buffer = b""
        self.stream = StreamShaper()

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            content_type = Headers(raw=message.get("headers") or []).get("content-type", "")
            if message["status"] == 200 and content_type.startswith("application/json"):
                self.mode, self.start = "json", message
                return
            if message["status"] == 200 and content_type.startswith("text/event-stream"):
                self.mode = "sse"
            await self.send(message)
            return
        if message["type"] != "http.response.body" or not self.mode:
            await self.send(message)
            return
        self.buffer += message.get("body", b"")
        more = message.get("more_body", False)
        if self.mode == "json":
            if more:
                return
            body = _reshape_json(self.buffer)
            assert self.start is not None
            headers = [(k, v) for k, v in self.start.get("headers") or [] if k.lower() != b"content-length"]
            await self.send({**self.start, "headers": [*headers, (b"content-length", str(len(body)).encode())]})
            await self.send({"type": "http.response.body", "body": body, "more_body": False})
            return
        events, _, self.buffer = self.buffer.rpartition(b"\n\n")
        if not more:
            events, self.buffer = events + b"\n\n" + self.buffer if self.buffer else events, b""
        out = b"".join(self._event(event) for event in events.split(b"\n\n") if event.strip())
        await self.send({"type": "http.response.body", "body": out, "more_body": more})

    def _event(self, event: bytes) -> bytes:
        lines = []
        for line in event.split(b"\n"):
            if line.startswith(b"data: ") and line.strip() != b"data: [DONE]":
                try:
                    body = json.loads(line[6:])
                except ValueError:
                    lines.append(line)
                    continue
                if isinstance(body, dict) and body.get("object") == "chat.completion.chunk":
                    line = b"data: " + json.dumps(self.stream.chunk(body)).encode()
            lines.append(line)
        return b"\n".join(lines) + b"\n\n"
