"""The Responses API request seen as chat messages, so one policy decides both surfaces.

`input` (a string, or items: messages with `input_text` / `input_image` / `input_file` parts,
function calls and their outputs) and `instructions` become chat-shaped messages. The policy
reads them to pick the task (an image part means vision), to scan for sensitive data and to find
attachments; the request itself is forwarded as the client wrote it (LiteLLM bridges it to chat
for Ollama).
"""

from __future__ import annotations

from typing import Any

from plugins.platform.errors import GatewayError


def _part(part: Any) -> dict[str, Any]:
    if isinstance(part, str):
        return {"type": "text", "text": part}
    if not isinstance(part, dict):
        raise GatewayError(400, "Each content part of a Responses input must be an object.", param="input")
    kind = part.get("type")
    if kind in ("input_text", "output_text", "text", "summary_text", "refusal"):
        return {"type": "text", "text": str(part.get("text") or part.get("refusal") or "")}
    if kind == "input_image":
        url = part.get("image_url")
        url = url.get("url") if isinstance(url, dict) else url
        if part.get("file_id"):
            return {"type": "file", "file": {"file_id": part["file_id"]}}
        return {"type": "image_url", "image_url": {"url": str(url or "")}}
    if kind == "input_file":
        if part.get("file_data"):
            return {"type": "file", "file": {"file_data": part["file_data"], "filename": part.get("filename")}}
        return {"type": "file", "file": {"file_id": part.get("file_id") or part.get("file_url") or ""}}
    if kind == "input_audio":
        return {"type": "input_audio", "input_audio": part.get("input_audio") or {}}
    raise GatewayError(400, f"Unsupported Responses content part type {kind!r}.", param="input")


def _message(item: dict[str, Any]) -> dict[str, Any]:
    kind = item.get("type", "message")
    if kind == "message":
        content = item.get("content")
        parts = content if isinstance(content, str) else [_part(part) for part in content or []]
        return {"role": str(item.get("role") or "user"), "content": parts}
    if kind in ("function_call", "custom_tool_call"):
        text = f"{item.get('name', '')} {item.get('arguments') or item.get('input') or ''}"
        return {"role": "assistant", "content": text}
    if kind in ("function_call_output", "custom_tool_call_output"):
        output = item.get("output")
        return {"role": "tool", "content": output if isinstance(output, str) else str(output or "")}
    if kind == "reasoning":
        return {"role": "assistant", "content": " ".join(str(entry.get("text", "")) for entry in
                                                        item.get("summary") or [] if isinstance(entry, dict))}
    raise GatewayError(400, f"Unsupported Responses input item type {kind!r}.", param="input")


def responses_messages(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Chat-shaped messages holding everything the Responses request would send to a model."""
    messages: list[dict[str, Any]] = []
    instructions = data.get("instructions")
    if isinstance(instructions, str) and instructions:
        messages.append({"role": "system", "content": instructions})
    value = data.get("input")
    if isinstance(value, str):
        messages.append({"role": "user", "content": value})
    elif isinstance(value, list):
        for item in value:
            if not isinstance(item, dict):
                raise GatewayError(400, "Each Responses input item must be an object.", param="input")
            messages.append(_message(item))
    elif value is not None:
        raise GatewayError(400, "'input' must be a string or a list of input items.", param="input")
    else:
        raise GatewayError(400, "'input' is required.", param="input")
    return messages
