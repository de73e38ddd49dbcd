"""An Ollama server as docs/api.md describes it, so the gateway is tested against Ollama's real wire format:
/api/chat (NDJSON streaming unless `"stream": false`), /api/tags, /api/show, /api/version, `/`.

Validation follows Ollama's Go server: body bound as api.ChatRequest (type errors and bad base64 images
are 400 with Go's messages), unknown fields ignored, names without a tag mean `:latest` and match
case-insensitively, a model that is not pulled is 404 "try pulling it first". `options` are typed by name
as api/types.go Options.FromMap does (unknown names ignored, wrong kinds fail); `format` is "json" or a
schema; the runner's errors are a 500, or an `{"error": ...}` line after the 200 when streaming
(`fail_next_stream` injects one). Capabilities from `/api/show` are enforced (tools, thinking); thinking
models think unless `think: false`; when the last user text names a declared tool the model calls it
(docs/api.md "Chat request (No streaming, with tools)"), unless `ignore_tools_next` makes it answer in text
as real models sometimes do (Ollama has no `tool_choice` to force a call). The documented examples are fixtures in
fixtures/ollama_api_examples.json."""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import io
import json
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone

from PIL import Image, UnidentifiedImageError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.emulators.server import Emulator, Fault, Scope

DEFAULT_MODELS = ("CognitiveComputations/dolphin-mistral-nemo:latest", "qwen3-vl:8b", "deepseek-ocr:3b")
ROLES = ("system", "user", "assistant", "tool")
GO_TYPES = {str: "string", bool: "bool", int: "number", float: "number", list: "array", dict: "object"}
B64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")
# api/types.go Options and Runner, by JSON name: the Go kind FromMap checks values against
OPTION_KINDS = {
    **dict.fromkeys(("num_keep", "seed", "num_predict", "top_k", "repeat_last_n", "num_ctx", "num_batch", "num_gpu",
                     "main_gpu", "num_thread"), "integer"),
    **dict.fromkeys(("top_p", "min_p", "typical_p", "temperature", "repeat_penalty", "presence_penalty",
                     "frequency_penalty"), "float32"),
    "use_mmap": "boolean", "stop": "array",
}


def model_key(name: str) -> str:
    """Ollama's identity for a name: case-insensitive, default registry/namespace stripped, `:latest` if untagged."""
    name = name.strip().lower().split("@", 1)[0]
    name = name.removeprefix("registry.ollama.ai/").removeprefix("library/")
    return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"


def default_capabilities(name: str) -> list[str]:
    """What `ollama show` reports for the default models; vision for -vl / -ocr / llava-like names."""
    caps = ["completion"]
    if re.search(r"vl|ocr|llava|vision", name.lower()):
        caps.append("vision")
    if "qwen3" in name.lower():
        caps += ["tools", "thinking"]
    return caps


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _type_error(value: object, field: str, go_type: str) -> JSONResponse:
    kind = GO_TYPES.get(type(value), "null")
    return _error(400, f"json: cannot unmarshal {kind} into Go struct field {field} of type {go_type}")


def options_error(options: dict) -> str | None:
    """api.Options.FromMap: unknown names are ignored (a warning in the server log), a value of the wrong
    kind is an error ("option %q must be of type integer", ...); JSON numbers fit integer and float32."""
    for name, value in options.items():
        kind = OPTION_KINDS.get(name)
        if kind is None or value is None:
            continue
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if (kind in ("integer", "float32") and not number) or (kind == "boolean" and not isinstance(value, bool)):
            return f"option {name!r} must be of type {kind}".replace("'", '"')
        if kind == "array" and not isinstance(value, list):
            return f'option "{name}" must be of type array'
        if kind == "array" and not all(isinstance(item, str) for item in value):
            return f'option "{name}" must be of an array of strings'
    return None


def format_error(value: object) -> str | None:
    """llm.Completion: `format` is "json" or a JSON Schema object (null and "" mean unset)."""
    if value in (None, "", "json") or isinstance(value, dict):
        return None
    return f'invalid format: {json.dumps(json.dumps(value))}; expected "json" or a valid JSON Schema object'


def _image_error(image: str, decode: bool) -> str | None:
    """Go's base64.StdEncoding check (binding []byte); with `decode`, a real image decode like the runner's."""
    data = image.replace("\r", "").replace("\n", "")
    match = B64.match(data)
    if match.end() != len(data) or len(data) % 4:
        return f"illegal base64 data at input byte {min(match.end(), len(data))}"
    if not decode:
        return None
    try:
        with Image.open(io.BytesIO(base64.b64decode(data, validate=True))) as img:
            img.verify()
    except binascii.Error:
        return "illegal base64 data at input byte 0"
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return "image: unknown format"
    return None


def _tool_to_call(tools: list, last_user: str, messages: list) -> str:
    """The declared function the last user text names, unless the conversation ends with a tool's answer."""
    if messages and isinstance(messages[-1], dict) and messages[-1].get("role") == "tool":
        return ""
    names = [str((tool.get("function") or {}).get("name") or "") for tool in tools if isinstance(tool, dict)]
    return next((name for name in names if name and name in last_user), "")


class OllamaEmulator(Emulator):
    """Ollama with `models` pulled. `capabilities` overrides `ollama show` capabilities per model."""

    def __init__(self, models: Iterable[str] = DEFAULT_MODELS, version: str = "0.12.6",
                 capabilities: Mapping[str, list[str]] | None = None) -> None:
        self.models = list(models)
        self.version = version
        self._caps = {model_key(name): list(caps) for name, caps in (capabilities or {}).items()}
        self._stream_error: str | None = None
        self._ignore_tools = 0
        super().__init__(Starlette(routes=[
            Route("/", self._root, methods=["GET", "HEAD"]),
            Route("/api/version", self._version, methods=["GET", "HEAD"]),
            Route("/api/tags", self._tags, methods=["GET", "HEAD"]),
            Route("/api/show", self._show, methods=["POST"]),
            Route("/api/chat", self._chat, methods=["POST"]),
            Route("/{path:path}", self._not_found, methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]),
        ]))

    # -- helpers for tests -------------------------------------------------------------------------
    @property
    def chat_requests(self) -> list:
        return [record for record in self.requests if record.path == "/api/chat"]

    def find(self, name: str) -> str | None:
        """The pulled model `name` refers to, as listed, or None."""
        return next((model for model in self.models if model_key(model) == model_key(name)), None)

    def capabilities(self, name: str) -> list[str]:
        return self._caps.get(model_key(name)) or default_capabilities(name)

    def fail_next_stream(self, message: str = "an error was encountered while running the model: unexpected EOF") \
            -> None:
        """The next streamed reply breaks after its first chunk with an `{"error": ...}` line, as Ollama
        does when the runner fails after the 200 (server/routes.go ChatHandler writes `gin.H{"error": ...}`)."""
        self._stream_error = message

    def ignore_tools_next(self, times: int = 1) -> None:
        """The next `times` replies are text even where a declared tool is named: a model ignoring its tools."""
        self._ignore_tools = times

    def reset(self) -> None:
        super().reset()
        self._stream_error = None
        self._ignore_tools = 0

    def fault_response(self, fault: Fault, scope: Scope) -> tuple[int, dict, dict[str, str]]:
        return fault.status, fault.body or {"error": f"injected fault ({fault.status})"}, {}

    # -- routes ------------------------------------------------------------------------------------
    async def _root(self, request: Request) -> Response:
        return PlainTextResponse("Ollama is running")

    async def _not_found(self, request: Request) -> Response:
        return PlainTextResponse("404 page not found", status_code=404)

    async def _version(self, request: Request) -> Response:
        return JSONResponse({"version": self.version})

    def _details(self, name: str) -> dict:
        family = "qwen3vl" if "qwen3-vl" in name else "deepseekocr" if "ocr" in name else "llama"
        return {"parent_model": "", "format": "gguf", "family": family, "families": [family],
                "parameter_size": "8.8B", "quantization_level": "Q4_K_M"}

    async def _tags(self, request: Request) -> Response:
        models = [{"name": name, "model": name, "modified_at": "2025-10-01T12:00:00.000000Z",
                   "size": 5_000_000_000 + len(name), "digest": hashlib.sha256(name.encode()).hexdigest(),
                   "details": self._details(name)} for name in self.models]
        return JSONResponse({"models": models})

    async def _body(self, request: Request, struct: str) -> dict | Response:
        raw = await request.body()
        if not raw.strip():
            return _error(400, "missing request body")
        try:
            body = json.loads(raw)
        except ValueError as error:
            at = raw.decode("utf-8", "replace")[error.pos: error.pos + 1] if hasattr(error, "pos") else ""
            return _error(400, f"invalid character '{at}' looking for beginning of value" if at else "unexpected EOF")
        if not isinstance(body, dict):
            kind = GO_TYPES.get(type(body), "null")
            return _error(400, f"json: cannot unmarshal {kind} into Go value of type {struct}")
        return body

    async def _show(self, request: Request) -> Response:
        body = await self._body(request, "api.ShowRequest")
        if isinstance(body, Response):
            return body
        name = body.get("model") or body.get("name")  # LiteLLM still sends the deprecated `name`
        if not name:
            return _error(400, "model is required")
        found = self.find(str(name))
        if found is None:
            return _error(404, f"model '{name}' not found")
        caps = self.capabilities(found)
        family = self._details(found)["family"]
        template = "{{- if .Tools }}tools{{ end }}{{ .Prompt }}" if "tools" in caps else "{{ .Prompt }}"
        return JSONResponse({
            "license": "", "modelfile": f"# Modelfile generated by \"ollama show\"\nFROM {found}\n",
            "parameters": "temperature 0.7", "template": template, "details": self._details(found),
            "model_info": {"general.architecture": family, "general.parameter_count": 8_800_000_000,
                           f"{family}.context_length": 32768},
            "capabilities": caps, "modified_at": "2025-10-01T12:00:00.000000Z"})

    def _check_messages(self, messages: object, decode: bool) -> tuple[str, int, int] | Response:
        """(last user text, image count, prompt words), or Ollama's 400. Binding errors (types, base64) come
        before the model lookup; roles and image decoding (`decode`) after it, as in Ollama."""
        if not isinstance(messages, list):
            return _type_error(messages, "ChatRequest.messages", "[]api.Message")
        last_user, images, words = "", 0, 0
        for message in messages:
            if not isinstance(message, dict):
                return _type_error(message, "ChatRequest.messages", "api.Message")
            for field, go_type, kind in (("role", "string", str), ("content", "string", str),
                                         ("thinking", "string", str), ("images", "[]api.ImageData", list),
                                         ("tool_calls", "[]api.ToolCall", list)):
                if message.get(field) is not None and not isinstance(message[field], kind):
                    return _type_error(message[field], f"Message.messages.{field}", go_type)
            if decode and message.get("role") not in ROLES:
                return _error(400, f"invalid role {message.get('role')!r}: must be one of {', '.join(ROLES)}")
            for image in message.get("images") or []:
                if not isinstance(image, str):
                    return _type_error(image, "Message.messages.images", "api.ImageData")
                problem = _image_error(image, decode)
                if problem:
                    return _error(400, problem)
                images += 1
            content = message.get("content") or ""
            words += len(content.split())
            if message.get("role") == "user":
                last_user = content
        return last_user, images, words

    async def _chat(self, request: Request) -> Response:
        body = await self._body(request, "api.ChatRequest")
        if isinstance(body, Response):
            return body
        for field, kinds, go_type in (("model", str, "string"), ("stream", bool, "bool"),
                                      ("options", dict, "map[string]interface {}"), ("tools", list, "api.Tools")):
            if body.get(field) is not None and not isinstance(body[field], kinds):
                return _type_error(body[field], f"ChatRequest.{field}", go_type)
        messages = [] if body.get("messages") is None else body["messages"]
        bound = self._check_messages(messages, decode=False)
        if isinstance(bound, Response):
            return bound
        name = body.get("model") or ""
        if not name:
            return _error(400, "model is required")
        found = self.find(name)
        if found is None:
            return _error(404, f'model "{name}" not found, try pulling it first')
        caps = self.capabilities(found)
        if body.get("tools") and "tools" not in caps:
            return _error(400, f"registry.ollama.ai/library/{model_key(found)} does not support tools")
        if body.get("think") not in (None, False) and "thinking" not in caps:
            return _error(400, f'"{name}" does not support thinking')
        checked = self._check_messages(messages, decode=True)
        if isinstance(checked, Response):
            return checked
        last_user, images, prompt_words = checked
        # option and format errors come from the runner: 500, or an error line after the 200 when streaming
        runner_error = options_error(body.get("options") or {}) or format_error(body.get("format"))
        if runner_error and body.get("stream", True) is False:
            return _error(500, runner_error)
        if runner_error:
            return StreamingResponse(iter([json.dumps({"error": runner_error}) + "\n"]),
                                     media_type="application/x-ndjson")
        text = f"{name} says: {last_user}" + (f" [{images} images]" if images else "")
        words = text.split(" ")
        limit = (body.get("options") or {}).get("num_predict")
        done_reason = "stop"
        if isinstance(limit, int) and 0 <= limit < len(words):
            words, done_reason = words[:limit], "length"
        final = {"model": name, "created_at": _now(), "done": True, "done_reason": done_reason,
                 "total_duration": 250_000_000, "load_duration": 20_000_000,
                 "prompt_eval_count": prompt_words + 768 * images + 10, "prompt_eval_duration": 30_000_000,
                 "eval_count": len(words), "eval_duration": 200_000_000}
        if not body.get("messages"):
            final.update(done_reason="load", message={"role": "assistant", "content": ""})
            return JSONResponse(final)
        # thinking models think unless told not to (`think: false`), in a `thinking` field beside the content
        thinking = f"The user wrote {prompt_words} words." if "thinking" in caps and body.get("think") is not False \
            else ""
        call = _tool_to_call(body.get("tools") or [], last_user, messages)
        if call and self._ignore_tools > 0:
            self._ignore_tools, call = self._ignore_tools - 1, ""
        if call:  # docs/api.md "Chat request (No streaming, with tools)": empty content, tool_calls
            message = {"role": "assistant", "content": "",
                       "tool_calls": [{"function": {"name": call, "arguments": {}}}]}
            if body.get("stream", True) is False:
                return JSONResponse({**final, "message": message})
            lines = [{"model": name, "created_at": _now(), "message": message, "done": False},
                     {**final, "message": {"role": "assistant", "content": ""}}]
            return StreamingResponse(iter([json.dumps(line) + "\n" for line in lines]),
                                     media_type="application/x-ndjson")
        if body.get("stream", True) is False:
            final["message"] = {"role": "assistant", "content": " ".join(words),
                                **({"thinking": thinking} if thinking else {})}
            return JSONResponse(final)
        error, self._stream_error = self._stream_error, None
        return StreamingResponse(self._stream(name, words, final, thinking, error), media_type="application/x-ndjson")

    async def _stream(self, name: str, words: list[str], final: dict, thinking: str = "", error: str | None = None):
        if thinking:
            yield json.dumps({"model": name, "created_at": _now(), "done": False,
                              "message": {"role": "assistant", "content": "", "thinking": thinking}}) + "\n"
        for position, word in enumerate(words):
            piece = word if position == 0 else f" {word}"
            chunk = {"model": name, "created_at": _now(), "message": {"role": "assistant", "content": piece},
                     "done": False}
            yield json.dumps(chunk) + "\n"
            await asyncio.sleep(0)
            if error:
                yield json.dumps({"error": error}) + "\n"
                return
        yield json.dumps({**final, "message": {"role": "assistant", "content": ""}, "created_at": _now()}) + "\n"
