"""The Responses API request seen as chat messages, so one policy decides both surfaces.

`input` (a string, or items: messages with `input_text` / `input_image` / `input_file` parts,
function calls and their outputs, whose output may hold images and files too) and `instructions`
become chat-shaped messages. The policy reads them to pick the task (an image part means vision),
to scan for sensitive data and to find attachments. Each attachment part remembers where it sits in
the client's `input`: once placed, the bytes that were scanned (a re-encoded image, a fetched URL)
are written back there, so the request LiteLLM forwards holds what the gateway read, not the
client's original.
"""

from __future__ import annotations

from typing import Any

from plugins.platform.errors import GatewayError


class SourcedPart(dict):
    """A chat-shaped attachment part that writes its placed form back into the Responses input."""

    def __init__(self, part: dict[str, Any], owner: list, index: int) -> None:
        super().__init__(part)
        self.owner, self.index = owner, index

    def write_back(self, parts: list[dict[str, Any]]) -> None:
        """Replace the client's part with the Responses form of `parts` (placed chat parts)."""
        original = self.owner[self.index]
        self.owner[self.index : self.index + 1] = [_responses_part(part, original) for part in parts]


def _responses_part(part: dict[str, Any], original: dict[str, Any]) -> dict[str, Any]:
    if part.get("type") == "image_url":
        url, detail = part["image_url"]["url"], original.get("detail") or "auto"
        return {"type": "input_image", "image_url": url, "detail": detail}
    if part.get("type") == "file":
        return {"type": "input_file", "file_data": part["file"]["file_data"],
                "filename": str(original.get("filename") or "file")}
    if part.get("type") == "input_audio":
        return {"type": "input_audio", "input_audio": part["input_audio"]}
    return {"type": "input_text", "text": str(part.get("text") or "")}


def _sourced(owner: list, index: int) -> dict[str, Any]:
    """The chat form of `owner[index]`; attachment parts are SourcedParts."""
    chat = _part(owner[index])
    return SourcedPart(chat, owner, index) if chat.get("type") != "text" else chat


def _part(part: Any) -> dict[str, Any]:
    if isinstance(part, str):
        return {"type": "text", "text": part}
    if not isinstance(part, dict):
        raise GatewayError(400, "Each content part of a Responses input must be an object.", param="input")
    kind = part.get("type")
    if kind in ("input_text", "output_text", "text", "summary_text", "refusal"):
        return {"type": "text", "text": str(part.get("text") or part.get("refusal") or "")}
    if kind == "input_image":
        if part.get("file_id"):  # LiteLLM's bridge reads only image_url: the file_id is lost, or hides beside it
            raise GatewayError(400, "input_image.file_id is not supported here; send image_url (a data: or "
                               "https URL) or an input_file.", param="input_image.file_id")
        url = part.get("image_url")
        return {"type": "image_url", "image_url": {"url": url.get("url") if isinstance(url, dict) else url}}
    if kind == "input_file":
        given = [name for name in ("file_data", "file_id", "file_url") if part.get(name)]
        if len(given) != 1:
            raise GatewayError(400, "input_file needs exactly one of file_data, file_id or file_url; got "
                               f"{', '.join(given) or 'none'}.", param="input_file")
        if given[0] == "file_data":
            return {"type": "file", "file": {"file_data": part["file_data"], "filename": part.get("filename")}}
        return {"type": "file", "file": {"file_id": part[given[0]]}}
    if kind == "input_audio":
        return {"type": "input_audio", "input_audio": part.get("input_audio") or {}}
    raise GatewayError(400, f"Unsupported Responses content part type {kind!r}.", param="input")


def _message(item: dict[str, Any]) -> dict[str, Any]:
    kind = item.get("type", "message")
    if kind == "message":
        content = item.get("content")
        if isinstance(content, str):
            return {"role": str(item.get("role") or "user"), "content": content}
        if not isinstance(content, list):
            raise GatewayError(400, "A Responses message's content must be a string or a list of parts.",
                               param="input")
        return {"role": str(item.get("role") or "user"),
                "content": [_sourced(content, index) for index in range(len(content))]}
    if kind in ("function_call", "custom_tool_call"):
        text = f"{item.get('name', '')} {item.get('arguments') or item.get('input') or ''}"
        return {"role": "assistant", "content": text}
    if kind in ("function_call_output", "custom_tool_call_output"):
        output = item.get("output")
        if isinstance(output, list):  # text, images and files a tool returned: read like a message's parts
            return {"role": "tool", "content": [_sourced(output, index) for index in range(len(output))]}
        return {"role": "tool", "content": output if isinstance(output, str) else str(output or "")}
    if kind == "reasoning":
        return {"role": "assistant", "content": " ".join(str(entry.get("text", "")) for entry in
                                                        item.get("summary") or [] if isinstance(entry, dict))}
    raise GatewayError(400, f"Unsupported Responses input item type {kind!r}.", param="input")


def _instruction_text(item: Any) -> str:
    if not isinstance(item, dict) or item.get("type", "message") != "message" or \
            item.get("role", "system") not in ("system", "developer", "user"):
        raise GatewayError(400, "'instructions' must be a string, or a list of system/developer messages whose "
                           "content is text.", param="instructions")
    content = item.get("content")
    parts = [content] if isinstance(content, str) else content if isinstance(content, list) else [None]
    texts = [_part(part) for part in parts if part is not None]
    if len(texts) != len(parts) or any(text.get("type") != "text" for text in texts):
        raise GatewayError(400, "'instructions' given as messages may hold text only (send images and files "
                           "in 'input').", param="instructions")
    return "\n".join(str(text["text"]) for text in texts)


def normalise_instructions(data: dict[str, Any]) -> None:
    """`instructions` as a list of text messages (the shape a Response object echoes back) becomes the one
    string OpenAI's request takes, so every backend and the scan see the same thing; anything else but a
    string is a 400 (LiteLLM's local path would answer 500)."""
    value = data.get("instructions")
    if isinstance(value, list):
        data["instructions"] = "\n\n".join(_instruction_text(item) for item in value)
    elif value is not None and not isinstance(value, str):
        raise GatewayError(400, "'instructions' must be a string.", param="instructions")


def responses_messages(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Chat-shaped messages holding everything the Responses request would send to a model."""
    messages: list[dict[str, Any]] = []
    normalise_instructions(data)
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
