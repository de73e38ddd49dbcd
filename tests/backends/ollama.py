"""An Ollama server as its HTTP API documents it (docs/api.md): /api/chat (NDJSON streaming by
default, base64 `images`), /api/tags, /api/show, /api/version. Unknown models are 404 with
Ollama's own message; malformed bodies and undecodable images are 400."""

from __future__ import annotations

import asyncio
import base64
import binascii
import io
import json
from datetime import datetime, timezone

from PIL import Image
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, StreamingResponse
from starlette.routing import Route

from tests.backends.faults import Emulator

DEFAULT_MODELS = ("CognitiveComputations/dolphin-mistral-nemo:latest", "qwen3-vl:8b", "deepseek-ocr:3b")
ROLES = ("system", "user", "assistant", "tool")


def normalize(name: str) -> str:
    """Ollama names without a tag mean `:latest`."""
    return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


class OllamaEmulator(Emulator):
    """Records every request; `models` are the pulled ones; faults via `add_fault`."""

    def __init__(self, models: tuple[str, ...] | list[str] = DEFAULT_MODELS, version: str = "0.12.6") -> None:
        super().__init__()
        self.models = [normalize(model) for model in models]
        self.version = version
        self.app = Starlette(routes=[
            Route("/", self.root, methods=["GET", "HEAD"]),
            Route("/api/chat", self.chat, methods=["POST"]),
            Route("/api/tags", self.tags, methods=["GET"]),
            Route("/api/show", self.show, methods=["POST"]),
            Route("/api/version", self.get_version, methods=["GET"]),
        ])

    @property
    def chat_requests(self) -> list:
        return [record for record in self.requests if record.path == "/api/chat"]

    async def root(self, request: Request) -> PlainTextResponse:
        return PlainTextResponse("Ollama is running")

    async def get_version(self, request: Request) -> JSONResponse:
        self.record(request)
        return JSONResponse({"version": self.version})

    async def tags(self, request: Request) -> JSONResponse:
        self.record(request)
        models = [{"name": name, "model": name, "modified_at": _now(), "size": 4_000_000_000,
                   "digest": f"{abs(hash(name)):064x}"[:64],
                   "details": {"format": "gguf", "family": name.split(":")[0], "parameter_size": "8B",
                               "quantization_level": "Q4_K_M"}} for name in self.models]
        return JSONResponse({"models": models})

    async def show(self, request: Request) -> JSONResponse:
        body = await self._json(request)
        if isinstance(body, JSONResponse):
            return body
        name = normalize(str(body.get("model") or body.get("name") or ""))
        if name not in self.models:
            return _error(404, f"model '{name}' not found")
        capabilities = ["completion", "vision"] if "vl" in name or "ocr" in name else ["completion"]
        return JSONResponse({"modelfile": f"FROM {name}", "parameters": "", "template": "{{ .Prompt }}",
                             "details": {"format": "gguf", "parameter_size": "8B"},
                             "model_info": {"general.architecture": "llama"}, "capabilities": capabilities})

    async def _json(self, request: Request) -> dict | JSONResponse:
        raw = await request.body()
        try:
            body = json.loads(raw or b"null")
        except json.JSONDecodeError as error:
            self.record(request, None, len(raw))
            return _error(400, f"invalid character at offset {error.pos}")
        self.record(request, body, len(raw))
        if not isinstance(body, dict):
            return _error(400, "json: cannot unmarshal into Go value of type api.ChatRequest")
        return body

    def _validate_messages(self, messages: object) -> tuple[str, int] | JSONResponse:
        if not isinstance(messages, list):
            return _error(400, "messages must be an array")
        last_user, images = "", 0
        for message in messages:
            if not isinstance(message, dict) or message.get("role") not in ROLES:
                return _error(400, f"invalid role in message: {message!r:.80}")
            if not isinstance(message.get("content", ""), str):
                return _error(400, "json: cannot unmarshal array into Go struct field Message.messages.content")
            for image in message.get("images") or []:
                try:
                    Image.open(io.BytesIO(base64.b64decode(image, validate=True))).verify()
                except (binascii.Error, ValueError, TypeError):
                    return _error(400, "illegal base64 data in image")
                except Exception:
                    return _error(400, "image: unknown format")
                images += 1
            if message.get("role") == "user":
                last_user = message.get("content", "")
        return last_user, images

    async def chat(self, request: Request):
        body = await self._json(request)
        if isinstance(body, JSONResponse):
            return body
        fault = self.take_fault(request.url.path)
        faulted = await self.apply_fault(fault, {"error": "injected failure"})
        if faulted:
            return faulted
        if not body.get("model"):
            return _error(400, "model is required")
        model = normalize(str(body["model"]))
        if model not in self.models:
            return _error(404, f'model "{body["model"]}" not found, try pulling it first')
        checked = self._validate_messages(body.get("messages", []))
        if isinstance(checked, JSONResponse):
            return checked
        last_user, images = checked
        text = f"{body['model']} says: {last_user}" + (f" [{images} images]" if images else "")
        if body.get("stream", True):
            return StreamingResponse(self._stream(body["model"], text, fault), media_type="application/x-ndjson")
        return JSONResponse({**self._final(body["model"]), "message": {"role": "assistant", "content": text}})

    def _final(self, model: str) -> dict:
        return {"model": model, "created_at": _now(), "done": True, "done_reason": "stop",
                "total_duration": 120_000_000, "load_duration": 1_000_000, "prompt_eval_count": 12,
                "prompt_eval_duration": 10_000_000, "eval_count": 8, "eval_duration": 100_000_000}

    async def _stream(self, model: str, text: str, fault):
        words = text.split(" ")
        for position, word in enumerate(words):
            if fault and fault.die_mid_stream and position == 2:
                raise ConnectionResetError("emulator died mid-stream")
            piece = word if position == 0 else f" {word}"
            yield json.dumps({"model": model, "created_at": _now(),
                              "message": {"role": "assistant", "content": piece}, "done": False}) + "\n"
            await asyncio.sleep(0)
        yield json.dumps({**self._final(model), "message": {"role": "assistant", "content": ""}}) + "\n"
