"""What a flexible request may carry to a cloud provider: only fields the gateway understands, each one read.

The scanner cannot find a value in a field it does not know, so a flexible request is checked against
an allowlist of OpenAI's request shape (chat completions and Responses: top-level fields, message
keys, content-part types and their keys, tool and tool-call keys). Anything else is refused with a
400 naming it, before anything is scanned or sent. What is allowed is then read whole: every string,
dictionary keys included, except the bytes of attachments, which are read as files.

The last step checks again: the Gemini request LiteLLM built from all this is read once more by the
same detectors (`check_cloud_body`), so a value that reached it by a path nobody foresaw is refused
there, before it is sent.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from plugins.platform.errors import GatewayError

ANY = "any"  # any JSON value: every string in it is read


class Typed(dict):
    """A list item or object whose `type` picks its allowed keys (a missing type means `default`)."""

    def __init__(self, default: str, **kinds: Any) -> None:
        super().__init__(kinds)
        self.default = default


FUNCTION = {"name": ANY, "description": ANY, "parameters": ANY, "strict": ANY}
TOOL_CALL = {"id": ANY, "type": ANY, "index": ANY, "function": {"name": ANY, "arguments": ANY},
             "provider_specific_fields": ANY}
CHAT_PARTS = Typed(
    "text",
    text={"type": ANY, "text": ANY},
    image_url={"type": ANY, "image_url": {"url": ANY, "detail": ANY, "format": ANY}},
    input_audio={"type": ANY, "input_audio": {"data": ANY, "format": ANY}},
    file={"type": ANY, "file": {"file_data": ANY, "file_id": ANY, "filename": ANY, "format": ANY},
          "file_index": ANY, "timestamps": ANY},
    refusal={"type": ANY, "refusal": ANY},
    **{kind: {"type": ANY, "file_index": ANY, "timestamps": ANY} for kind in ("image", "audio", "video")},
)
MESSAGE = {
    "role": ANY, "content": [CHAT_PARTS], "name": ANY, "tool_calls": [TOOL_CALL], "tool_call_id": ANY,
    "function_call": {"name": ANY, "arguments": ANY}, "refusal": ANY, "reasoning_content": ANY,
    "thinking_blocks": ANY, "provider_specific_fields": ANY, "annotations": ANY, "audio": ANY,
}
# Read and removed by the gateway, or consumed by LiteLLM itself: never part of a provider request.
NOT_SENT = {"task", "privacy_mode", "sensitive_data", "escalation", "metadata", "litellm_metadata", "cache",
            "tags", "fallbacks", "context_window_fallbacks", "content_policy_fallbacks", "model", "stream",
            "stream_options", "num_retries", "user", "timeout", "request_timeout", "litellm_session_id",
            "litellm_trace_id"}
COMMON = {name: ANY for name in NOT_SENT}
CHAT_REQUEST = {
    **COMMON,
    "messages": [MESSAGE],
    "tools": [Typed("function", function={"type": ANY, "function": FUNCTION})],
    "functions": [FUNCTION],
    **{name: ANY for name in (
        "temperature", "top_p", "top_k", "n", "max_tokens", "max_completion_tokens", "stop", "seed",
        "response_format", "tool_choice", "function_call", "parallel_tool_calls", "reasoning_effort", "thinking",
        "logprobs", "top_logprobs", "frequency_penalty", "presence_penalty", "logit_bias", "audio", "modalities",
        "prediction", "store", "service_tier", "web_search_options", "prompt_cache_key", "safety_identifier",
        "verbosity", "prompt_cache_retention", "prompt_cache_options", "moderation")},
}
RESPONSES_PARTS = Typed(
    "input_text",
    input_text={"type": ANY, "text": ANY},
    output_text={"type": ANY, "text": ANY, "annotations": ANY, "logprobs": ANY},
    summary_text={"type": ANY, "text": ANY},
    text={"type": ANY, "text": ANY},
    refusal={"type": ANY, "refusal": ANY},
    input_image={"type": ANY, "image_url": ANY, "file_id": ANY, "detail": ANY},
    input_file={"type": ANY, "file_data": ANY, "file_id": ANY, "file_url": ANY, "filename": ANY},
    input_audio={"type": ANY, "input_audio": {"data": ANY, "format": ANY}},
)
ITEM_COMMON = {"type": ANY, "id": ANY, "status": ANY}
RESPONSES_ITEMS = Typed(
    "message",
    message={**ITEM_COMMON, "role": ANY, "content": [RESPONSES_PARTS]},
    function_call={**ITEM_COMMON, "call_id": ANY, "name": ANY, "arguments": ANY},
    custom_tool_call={**ITEM_COMMON, "call_id": ANY, "name": ANY, "input": ANY},
    function_call_output={**ITEM_COMMON, "call_id": ANY, "output": ANY},
    custom_tool_call_output={**ITEM_COMMON, "call_id": ANY, "output": ANY},
    reasoning={**ITEM_COMMON, "summary": ANY, "content": ANY, "encrypted_content": ANY},
)
RESPONSES_REQUEST = {
    **COMMON,
    "input": [RESPONSES_ITEMS],
    "instructions": ANY,
    "tools": [Typed("function", function={"type": ANY, **FUNCTION})],
    **{name: ANY for name in (
        "tool_choice", "temperature", "top_p", "max_output_tokens", "max_tool_calls", "parallel_tool_calls",
        "reasoning", "text", "truncation", "store", "include", "service_tier", "top_logprobs",
        "prompt_cache_key", "safety_identifier")},
}
REFUSED_WHY = {
    "extra_body": "its fields would be merged into the provider request unread",
    "previous_response_id": "it would replay stored turns the gateway has not read; send the conversation in "
                            "`input`",
    "conversation": "it would replay stored turns the gateway has not read; send the conversation in `input`",
    "cache_control": "it would store the conversation with the provider (context caching)",
}


def _refuse(where: str, name: str) -> GatewayError:
    why = REFUSED_WHY.get(name, "the gateway sends a cloud provider only fields it reads")
    return GatewayError(400, f"Field {where!r} is not accepted with privacy_mode=flexible: {why} (docs/PRIVACY.md).",
                        param=where, code="field_not_allowed")


def _check(value: Any, spec: Any, where: str) -> None:
    if spec == ANY or value is None:
        return
    if isinstance(spec, list):
        for index, item in enumerate(value if isinstance(value, list) else []):
            _check(item, spec[0], f"{where}[{index}]")
        return
    if not isinstance(value, dict):
        return  # shapes other than objects are left to the surface's own validation
    if isinstance(spec, Typed):
        kind = value.get("type", spec.default)
        if kind not in spec:
            raise GatewayError(400, f"{where}.type {kind!r} is not accepted with privacy_mode=flexible: allowed "
                               f"types are {', '.join(spec)} (docs/PRIVACY.md).", param=f"{where}.type",
                               code="field_not_allowed")
        spec = spec[kind]
    for name, item in value.items():
        if name not in spec:
            raise _refuse(f"{where}.{name}" if where else str(name), str(name))
        _check(item, spec[name], f"{where}.{name}" if where else str(name))


def check_cloud_request(body: dict[str, Any], surface: str) -> None:
    """400 naming the first field of a flexible request that is not in the allowlist of its surface."""
    _check(body, CHAT_REQUEST if surface == "chat" else RESPONSES_REQUEST, "")


class UnreadableJSON(ValueError):
    """A string holds JSON nested deeper than Python's parser goes: its values cannot be read."""


_DONE = object()


def _embedded(text: str) -> Any:
    """The JSON value a string holds (tool arguments, a pasted document), or None when it holds none."""
    try:
        return json.loads(text)
    except ValueError:
        return None
    except RecursionError:
        raise UnreadableJSON("a JSON value inside a string nests too deeply to be read") from None


def _items(value: dict, structure: list[str], skip_keys: tuple[str, ...]) -> Iterator[Any]:
    for key, item in value.items():
        structure.append(str(key))
        if key in ("type", "role") and isinstance(item, str):
            structure.append(item)
        elif key not in skip_keys:
            yield item


def _prose(value: Any, skip: frozenset[int], structure: list[str], skip_keys: tuple[str, ...] = ()) -> Iterable[str]:
    """The text values of a JSON value in order, at any depth (a stack, not recursion: nothing nested
    deeper than some limit goes unread); keys and `type`/`role` values go to `structure`, so a value
    split across two parts or messages reads as one. Objects whose id is in `skip`, and the values of keys
    in `skip_keys`, are file bytes: read as files, not here. JSON inside a string (tool arguments) is read
    too; one too deep to parse raises UnreadableJSON."""
    stack: list[Iterator[Any]] = [iter((value,))]
    while stack:
        item = next(stack[-1], _DONE)
        if item is _DONE:
            stack.pop()
        elif id(item) in skip:
            continue
        elif isinstance(item, str):
            yield item
            if item[:1] in ("{", "[") and (parsed := _embedded(item)) is not None:
                stack.append(iter((parsed,)))
        elif isinstance(item, dict):
            stack.append(_items(item, structure, skip_keys))
        elif isinstance(item, (list, tuple)):
            stack.append(iter(item))


def sent_texts(body: dict[str, Any], skip: frozenset[int] = frozenset()) -> list[str]:
    """Every text of a request that can reach the model: all of it but the fields LiteLLM or the gateway
    consume (routing fields, metadata, cache and fallback settings). Values in order, then keys."""
    structure: list[str] = []
    sent = sorted(((name, value) for name, value in body.items() if name not in NOT_SENT),
                  key=lambda item: item[0] != "instructions")  # read as the model reads: instructions first
    try:
        values = list(_prose(dict(sent), skip, structure))
    except UnreadableJSON:
        raise GatewayError(400, "A JSON value inside a string of this request (tool-call arguments, a message) nests "
                           "too deeply for the gateway to read, so it cannot be checked for sensitive data; nothing "
                           "was sent. Flatten it, or send it with privacy_mode=strict.",
                           code="nesting_too_deep") from None
    return values + structure


# Parts of the Gemini request that are file bytes or references to uploaded files, not text.
GEMINI_BINARY = ("inlineData", "inline_data", "fileData", "file_data")


def gemini_texts(body: Any) -> list[str]:
    """Every string of a Gemini request body LiteLLM built, keys included, except file bytes and URIs.
    Raises UnreadableJSON when a string in it holds JSON too deep to parse (the caller refuses the call)."""
    structure: list[str] = []
    return list(_prose(body, frozenset(), structure, GEMINI_BINARY)) + structure
