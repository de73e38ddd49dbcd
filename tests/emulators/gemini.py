"""The Gemini Developer API (generativelanguage.googleapis.com) as documented, so LiteLLM and google-genai
are tested against its wire format: generateContent, streamGenerateContent (SSE or JSON array), the
resumable File API upload, files get/list/delete with PROCESSING -> ACTIVE/FAILED, models list/get.

It rejects what the real service rejects: a missing (403) or wrong (400) key, unknown JSON fields
(also inside generationConfig and thinkingConfig, typed), penalties on 2.5 models ("Penalty is not
enabled"), parts without exactly one data field, bad base64, bodies over 20 MB, file URIs that are not
this key's ACTIVE files in Google's own URI form (handed out although it is served on 127.0.0.1).
2.5 models think by default and their thinking counts against maxOutputTokens (usageMetadata
thoughtsTokenCount; a short limit ends MAX_TOKENS with no parts), unless thinkingBudget is 0.
Function calling: `tools`, `toolConfig` and `safetySettings` are checked field by field; when the last user
text names a declared function the model calls it, and a thinking model's functionCall part carries a
`thoughtSignature` (https://ai.google.dev/gemini-api/docs/thought-signatures). A replayed model turn must
carry back the signature it was given: an unknown one is refused, and gemini-3 models refuse a missing one
(2.5 models accept it but lose their reasoning, which `signatures_missing` counts).
`block_next_prompt` answers `promptFeedback.blockReason` with no candidates; `stop_next` ends the next reply
early with a finishReason such as SAFETY or RECITATION (the partial text kept, as Google sends it).
A 429 carries google.rpc.RetryInfo. The documented request examples are fixtures in
fixtures/gemini_api_examples.json. Uploaded bytes go to a temp dir, never memory."""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
import os
import re
import tempfile
import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.emulators.server import Emulator, Fault, Scope

FILE_URI = re.compile(r"https://generativelanguage\.googleapis\.com/(v1beta|v1)/files/([a-z0-9-]+)")
MAX_REQUEST_BYTES = 20 * 1024 * 1024
STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
          409: "ALREADY_EXISTS", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}
BODY = {"contents", "systemInstruction", "generationConfig", "safetySettings", "tools", "toolConfig",
        "cachedContent", "model", "serviceTier"}
DATA = {"text", "inlineData", "fileData", "functionCall", "functionResponse", "executableCode", "codeExecutionResult"}
PART_META = {"thought", "thoughtSignature", "videoMetadata", "mediaResolution", "partMetadata"}
MIME_OK = re.compile(r"^(image|audio|video|text)/[\w.+-]+$|^application/(pdf|json|x-javascript|x-python|rtf)$")
NO_KEY = ("Method doesn't allow unregistered callers (callers without established identity). "
          "Please use API Key or other form of API consumer identity to call this API.")
BAD_KEY = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID",
            "domain": "googleapis.com", "metadata": {"service": "generativelanguage.googleapis.com"}}]


class GeminiError(Exception):
    """A failure answered in Google's envelope {"error": {"code", "message", "status"}}."""

    def __init__(self, code: int, message: str, status: str | None = None, details: list | None = None) -> None:
        super().__init__(message)
        self.error = {"code": code, "message": message, "status": status or STATUS.get(code, "UNKNOWN")}
        if details:
            self.error["details"] = details


@dataclass
class StoredFile:
    """A File API resource, where its bytes are, and who (which API key) uploaded it."""

    id: str
    owner: str
    path: str
    resource: dict
    version: str = "v1beta"
    received: int = 0
    polls: int = 0
    fate: str = "active"  # active | failed | stuck
    failure: str = ""


def _now(hours: float = 0) -> str:
    return (datetime.now(timezone.utc) + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _fields(value: object, allowed: set[str], where: str) -> dict:
    """Proto-JSON: camelCase or snake_case names (returned camelCase); anything else is 'Unknown name'."""
    if not isinstance(value, dict):
        raise GeminiError(400, f"Invalid value at '{where}': Starting an object on a scalar field")
    out = {}
    for name, item in value.items():
        camel = re.sub(r"_([a-z0-9])", lambda match: match.group(1).upper(), name)
        if camel not in allowed:
            at = f" at '{where}'" if where else ""
            raise GeminiError(400, f'Invalid JSON payload received. Unknown name "{name}"{at}: Cannot find field.')
        out[camel] = item
    return out


GENERATION_CONFIG = {"stopSequences", "responseMimeType", "responseSchema", "responseJsonSchema", "responseModalities",
                     "candidateCount", "maxOutputTokens", "temperature", "topP", "topK", "seed", "presencePenalty",
                     "frequencyPenalty", "responseLogprobs", "logprobs", "enableEnhancedCivicAnswers",
                     "speechConfig", "thinkingConfig", "imageConfig", "mediaResolution", "_responseJsonSchema"}
THINKING_CONFIG = {"includeThoughts", "thinkingBudget", "thinkingLevel"}
TOOL = {"functionDeclarations", "googleSearch", "googleSearchRetrieval", "codeExecution", "urlContext",
        "computerUse", "fileSearch", "googleMaps"}
FUNCTION_DECLARATION = {"name", "description", "parameters", "parametersJsonSchema", "response",
                        "responseJsonSchema", "behavior"}
FUNCTION_CALLING_MODES = {"MODE_UNSPECIFIED", "AUTO", "ANY", "NONE", "VALIDATED"}
HARM_CATEGORIES = {"HARM_CATEGORY_HARASSMENT", "HARM_CATEGORY_HATE_SPEECH", "HARM_CATEGORY_SEXUALLY_EXPLICIT",
                   "HARM_CATEGORY_DANGEROUS_CONTENT", "HARM_CATEGORY_CIVIC_INTEGRITY"}
HARM_THRESHOLDS = {"HARM_BLOCK_THRESHOLD_UNSPECIFIED", "BLOCK_LOW_AND_ABOVE", "BLOCK_MEDIUM_AND_ABOVE",
                   "BLOCK_ONLY_HIGH", "BLOCK_NONE", "OFF"}
SAFE_RATINGS = [{"category": category, "probability": "NEGLIGIBLE"} for category in sorted(HARM_CATEGORIES)[:4]]
# Google's documented stand-ins for a signature a client could not keep (thought-signatures guide, FAQ)
DUMMY_SIGNATURES = {"context_engineering_is_the_way_to_go", "skip_thought_signature_validator"}
DEFAULT_THOUGHTS = 24  # tokens an emulated 2.5 model thinks before answering unless told not to


def _generation_config(value: object, model: str) -> dict:
    """generationConfig as the API checks it: known fields, typed; penalties refused by 2.5 models."""
    if value is None:
        return {}
    config = _fields(value, GENERATION_CONFIG, "generation_config")
    for name in ("maxOutputTokens", "candidateCount", "topK", "seed", "logprobs"):
        if name in config and not isinstance(config[name], int):
            raise GeminiError(400, f"Invalid value at 'generation_config.{name}' (TYPE_INT32), {config[name]!r}")
    for name in ("presencePenalty", "frequencyPenalty"):
        if config.get(name) and model.startswith("gemini-2.5"):
            raise GeminiError(400, "Penalty is not enabled for this model.")
    if "thinkingConfig" in config:
        config["thinkingConfig"] = _fields(config["thinkingConfig"], THINKING_CONFIG,
                                           "generation_config.thinking_config")
    return config


def _thinking_tokens(config: dict, model: str) -> int:
    """2.5 models think by default, and thinking counts against maxOutputTokens; budget 0 turns it off."""
    if not model.startswith("gemini-2.5"):
        return 0
    budget = (config.get("thinkingConfig") or {}).get("thinkingBudget", -1)
    return DEFAULT_THOUGHTS if budget == -1 else min(int(budget), DEFAULT_THOUGHTS)


def _b64(data: object, where: str) -> bytes:
    """Proto bytes: standard or URL-safe base64, padding optional."""
    try:
        text = data.replace("-", "+").replace("_", "/")  # type: ignore[union-attr]
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (AttributeError, ValueError, binascii.Error):
        raise GeminiError(400, f"Invalid value at '{where}' (TYPE_BYTES), Base64 decoding failed for "
                          f'"{str(data)[:32]}"') from None


def _named(value: dict, where: str) -> None:
    if not isinstance(value.get("name"), str) or not value["name"]:
        raise GeminiError(400, f"* GenerateContentRequest.{where}.name: Name cannot be empty.\n")
    if not isinstance(value.get("args", {}), dict):
        raise GeminiError(400, f"Invalid value at '{where}.args' (type.googleapis.com/google.protobuf.Struct), "
                          "Starting an object on a scalar field")


def _declared_functions(tools: object, tool_config: object) -> list[str]:
    """The functions the model may call: declared in `tools`, not turned off by `toolConfig` (mode NONE)."""
    if tools is None:
        return []
    if not isinstance(tools, list):
        raise GeminiError(400, "Invalid value at 'tools': Starting an object on a repeated field")
    names: list[str] = []
    for i, tool in enumerate(tools):
        for j, declaration in enumerate(_fields(tool, TOOL, f"tools[{i}]").get("functionDeclarations") or []):
            fields = _fields(declaration, FUNCTION_DECLARATION, f"tools[{i}].function_declarations[{j}]")
            if not re.fullmatch(r"[A-Za-z_][\w.:-]{0,127}", str(fields.get("name") or "")):
                raise GeminiError(400, f"* GenerateContentRequest.tools[{i}].function_declarations[{j}].name: "
                                  "Invalid function name. Must start with a letter or an underscore. Must be "
                                  "alphameric (a-z, A-Z, 0-9), underscores (_), dots (.), colons (:), or dashes (-), "
                                  "with a maximum length of 128.\n")
            names.append(fields["name"])
    calling = _fields(_fields(tool_config or {}, {"functionCallingConfig", "retrievalConfig"}, "tool_config")
                      .get("functionCallingConfig") or {}, {"mode", "allowedFunctionNames"},
                      "tool_config.function_calling_config")
    mode = calling.get("mode", "AUTO")
    if mode not in FUNCTION_CALLING_MODES:
        raise GeminiError(400, f"Invalid value at 'tool_config.function_calling_config.mode' (type.googleapis.com/"
                          f"google.ai.generativelanguage.v1beta.FunctionCallingConfig.Mode), \"{mode}\"")
    allowed = calling.get("allowedFunctionNames")
    return [] if mode == "NONE" else [name for name in names if not allowed or name in allowed]


def _check_safety_settings(settings: object) -> None:
    for i, setting in enumerate(settings or []):
        fields = _fields(setting, {"category", "threshold", "method"}, f"safety_settings[{i}]")
        if fields.get("category") not in HARM_CATEGORIES or fields.get("threshold") not in HARM_THRESHOLDS:
            raise GeminiError(400, f"Invalid value at 'safety_settings[{i}]': category {fields.get('category')!r}"
                              f" / threshold {fields.get('threshold')!r}")


@dataclass
class Prompt:
    """What one request asks of the emulated model."""

    last_text: str = ""
    notes: list[str] = field(default_factory=list)
    tokens: int = 0
    call: str = ""


def _is_chunk(scope: Scope) -> bool:
    return scope["path"].startswith("/upload/") and b"upload_id=" in scope["query_string"]


class GeminiEmulator(Emulator):
    """Gemini for `api_key` (plus `extra_api_keys`, each seeing only its own files)."""

    def __init__(self, api_key: str = "test-gemini-key", extra_api_keys: Iterable[str] = (),
                 models: Iterable[str] = ("gemini-2.5-flash", "gemini-2.5-pro", "gemini-2.5-flash-lite",
                                          "gemini-3-pro-preview"),
                 processing_polls: int = 1) -> None:
        self.api_key, self.api_keys, self.models = api_key, {api_key, *extra_api_keys}, list(models)
        self.processing_polls = self._default_polls = processing_polls
        self.files: dict[str, StoredFile] = {}
        self._uploads: dict[str, StoredFile] = {}
        self._next_fate = ("active", "")
        self._next_outcome: tuple[str, str] | None = None
        self._signatures: set[str] = set()
        self.signatures_missing = 0
        self._dir = tempfile.TemporaryDirectory(prefix="gemini-emulator-")
        self._count_lock = threading.Lock()
        self.bytes_received = self.peak_chunk_bytes = self.upload_count = self._responses = 0
        g = self._guard
        super().__init__(Starlette(routes=[
            Route("/{version}/models", g(self._list_models), methods=["GET"]),
            Route("/{version}/models/{target}", g(self._model), methods=["GET", "POST"]),
            Route("/upload/{version}/files", g(self._upload), methods=["POST"]),
            Route("/{version}/files", g(self._list_files), methods=["GET"]),
            Route("/{version}/files/{file_id}", g(self._file), methods=["GET", "DELETE"]),
            Route("/{path:path}", self._not_found, methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]),
        ]))

    # -- helpers for tests -------------------------------------------------------------------------
    @property
    def generate_count(self) -> int:
        """generateContent / streamGenerateContent requests received since the last clear()."""
        return sum(1 for record in self.requests if record.method == "POST" and record.path.endswith("Content"))

    def clear(self) -> None:
        """Forget requests, faults, counters and a pending fail/stick (uploaded files stay)."""
        super().clear()
        with self._count_lock:
            self.bytes_received = self.peak_chunk_bytes = self.upload_count = self.signatures_missing = 0
            self._next_fate, self._next_outcome = ("active", ""), None

    def reset(self) -> None:
        """clear(), and processing_polls back to the constructor's value."""
        self.clear()
        self.processing_polls = self._default_polls

    def fail_next_file(self, message: str = "File processing failed.") -> None:
        self._next_fate = ("failed", message)

    def block_next_prompt(self, reason: str = "SAFETY") -> None:
        """The next generate request is blocked before generation: promptFeedback.blockReason, no candidates."""
        self._next_outcome = ("block", reason)

    def stop_next(self, finish_reason: str = "RECITATION") -> None:
        """The next reply stops part-way with this finishReason (SAFETY, RECITATION, ...)."""
        self._next_outcome = ("stop", finish_reason)

    def stick_next_file_in_processing(self) -> None:
        self._next_fate = ("stuck", "")

    def expire_file(self, file_id: str) -> None:
        """Delete a file (and its bytes) as if its 48 h lifetime had passed."""
        stored = self.files.pop(file_id.removeprefix("files/"), None)
        if stored and os.path.exists(stored.path):
            os.remove(stored.path)

    def streams_body(self, scope: Scope) -> bool:
        length = dict(scope["headers"]).get(b"content-length", b"0")
        return _is_chunk(scope) or (length.isdigit() and int(length) > MAX_REQUEST_BYTES)

    def fault_response(self, fault: Fault, scope: Scope) -> tuple[int, dict, dict[str, str]]:
        # a real 429 says when to come back: google.rpc.RetryInfo (and QuotaFailure) in `details`
        retry = [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "20s"}] if fault.status == 429 \
            else None
        body = fault.body or {"error": GeminiError(fault.status, "Injected fault.", details=retry).error}
        return fault.status, body, {"x-goog-upload-status": "final"} if _is_chunk(scope) else {}

    # -- plumbing ----------------------------------------------------------------------------------
    def _guard(self, handler):
        """Known API versions only; the caller's key checked (upload chunks: the upload_id is the credential);
        GeminiError rendered in Google's envelope."""
        async def guarded(request: Request) -> Response:
            try:
                files = "/files" in request.url.path
                if request.path_params["version"] not in (("v1beta", "v1") if files else ("v1beta", "v1", "v1alpha")):
                    return await self._not_found(request)
                return await handler(request, None if _is_chunk(request.scope) else self._caller(request))
            except GeminiError as error:
                # an upload chunk's error must say the upload is over, or google-genai retries for 7 s
                final = {"x-goog-upload-status": "final"} if _is_chunk(request.scope) else None
                return JSONResponse({"error": error.error}, status_code=error.error["code"], headers=final)
        return guarded

    async def _not_found(self, request: Request) -> Response:
        html = f"<p>The requested URL <code>{request.url.path}</code> was not found on this server.</p>"
        return Response(html, status_code=404, media_type="text/html")

    def _caller(self, request: Request) -> str:
        """The API key, from `x-goog-api-key` or `?key=` as the real API accepts."""
        key = request.headers.get("x-goog-api-key") or request.query_params.get("key")
        if not key and request.headers.get("authorization"):
            raise GeminiError(401, "Request had invalid authentication credentials. Expected OAuth 2 access "
                              "token, login cookie or other valid authentication credential.")
        if not key:
            raise GeminiError(403, NO_KEY)
        if key not in self.api_keys:
            raise GeminiError(400, "API key not valid. Please pass a valid API key.", details=BAD_KEY)
        return key

    def _owned(self, file_id: str, key: str) -> StoredFile:
        stored = self.files.get(file_id)
        if stored is None or stored.owner != key:
            raise GeminiError(403, f"You do not have permission to access the File {file_id} or it may not exist.")
        return stored

    # -- models ------------------------------------------------------------------------------------
    def _model_resource(self, name: str) -> dict:
        return {"name": f"models/{name}", "version": "001", "displayName": name.replace("-", " ").title(),
                "inputTokenLimit": 1048576, "outputTokenLimit": 65536, "temperature": 1, "topP": 0.95, "topK": 64,
                "supportedGenerationMethods": ["generateContent", "countTokens", "createCachedContent"]}

    async def _list_models(self, request: Request, key: str) -> Response:
        return JSONResponse({"models": [self._model_resource(name) for name in self.models]})

    async def _model(self, request: Request, key: str) -> Response:
        model, _, method = request.path_params["target"].partition(":")
        unknown = GeminiError(404, f"models/{model} is not found for API version {request.path_params['version']}, "
                              f"or is not supported for {method or 'get'}. Call ListModels to see the list of "
                              "available models and their supported methods.")
        if request.method == "GET":
            if method or model not in self.models:
                raise unknown
            return JSONResponse(self._model_resource(model))
        if method not in ("generateContent", "streamGenerateContent"):
            raise GeminiError(404, f"Method {method!r} is not found for models/{model}.")
        if int(request.headers.get("content-length") or 0) > MAX_REQUEST_BYTES:
            raise GeminiError(400, f"Request payload size exceeds the limit: {MAX_REQUEST_BYTES} bytes.")
        try:
            body = json.loads(await request.body())
        except ValueError:
            raise GeminiError(400, "Invalid JSON payload received. Unexpected token.") from None
        if not isinstance(body, dict):
            raise GeminiError(400, 'Invalid JSON payload received. Unknown name "": Root element must be a message.')
        body = _fields(body, BODY, "")
        if model not in self.models:
            raise unknown
        prompt = self._check_request(body, key, model)
        config, finish = _generation_config(body.get("generationConfig"), model), "STOP"
        thoughts = _thinking_tokens(config, model)
        with self._count_lock:
            self._responses += 1
            response_id = f"emulated-{self._responses:06d}"
            outcome, self._next_outcome = self._next_outcome, None
        usage = {"promptTokenCount": prompt.tokens, "totalTokenCount": prompt.tokens,
                 "promptTokensDetails": [{"modality": "TEXT", "tokenCount": prompt.tokens}]}
        if outcome and outcome[0] == "block":
            blocked = {"promptFeedback": {"blockReason": outcome[1], "safetyRatings": SAFE_RATINGS},
                       "usageMetadata": usage, "modelVersion": model, "responseId": response_id}
            return self._reply([blocked], method, request)
        words = " ".join([f"{model} says: {prompt.last_text}", *(f"[{note}]" for note in prompt.notes)]).split(" ")
        limit = config.get("maxOutputTokens")
        if isinstance(limit, int) and 0 < limit < len(words) + thoughts:  # thinking spends the budget first
            words, finish = words[:max(0, limit - thoughts)], "MAX_TOKENS"
        if outcome:  # stopped by a filter part-way: Google sends what was generated before the stop
            words, finish = words[:max(1, len(words) // 2)], outcome[1]

        def chunk(parts: list[dict], done: int, final: bool) -> dict:
            content: dict = {"parts": parts, "role": "model"} if parts else {"role": "model"}
            candidate: dict = {"content": content, "index": 0}
            candidate.update({"finishReason": finish} if final else {})
            candidate.update({"safetyRatings": SAFE_RATINGS} if final and finish == "SAFETY" else {})
            counts = {**usage, "candidatesTokenCount": done, "totalTokenCount": prompt.tokens + done + thoughts}
            counts.update({"thoughtsTokenCount": thoughts} if thoughts else {})
            return {"candidates": [candidate], "usageMetadata": counts, "modelVersion": model,
                    "responseId": response_id}

        if prompt.call and not outcome:
            part: dict = {"functionCall": {"name": prompt.call, "args": {}}}
            if thoughts:  # a thinking model signs its function call (thought-signatures guide)
                part["thoughtSignature"] = base64.b64encode(f"signature-{response_id}".encode()).decode()
                with self._count_lock:
                    self._signatures.add(part["thoughtSignature"])
            return self._reply([chunk([part], 1, True)], method, request)
        if method == "generateContent":
            return self._reply([chunk([{"text": " ".join(words)}] if words else [], len(words), True)], method, request)
        pieces = [chunk([{"text": word if n == 0 else f" {word}"}], n + 1, n == len(words) - 1)
                  for n, word in enumerate(words)]
        return self._reply(pieces or [chunk([], 0, True)], method, request)

    def _reply(self, pieces: list[dict], method: str, request: Request) -> Response:
        """generateContent: the one (last) piece; streamGenerateContent: all of them, SSE or a JSON array."""
        if method == "generateContent":
            return JSONResponse(pieces[-1])
        sse = request.query_params.get("alt") == "sse"
        media_type = "text/event-stream" if sse else "application/json"
        return StreamingResponse(self._stream(pieces, sse), media_type=media_type)

    async def _stream(self, pieces: list[dict], sse: bool):
        """SSE `data:` events with `alt=sse`; otherwise one JSON array, streamed."""
        for n, piece in enumerate(pieces):
            if sse:
                yield f"data: {json.dumps(piece)}\r\n\r\n"
            else:
                yield ("[" if n == 0 else ",\r\n") + json.dumps(piece) + ("]" if n == len(pieces) - 1 else "")
            await asyncio.sleep(0)

    def _check_request(self, body: dict, key: str, model: str) -> Prompt:
        """What a valid GenerateContentRequest asks: its last user text, media notes, prompt tokens, and the
        function to call when that text names a declared one (and the last turn is not a function's answer)."""
        contents = body.get("contents")
        if not contents:
            raise GeminiError(400, "* GenerateContentRequest.contents: contents is not specified\n")
        if not isinstance(contents, list):
            raise GeminiError(400, "Invalid value at 'contents': Starting an object on a repeated field")
        prompt, answered = Prompt(), False
        for i, content in enumerate(contents):
            fields = _fields(content, {"role", "parts"}, f"contents[{i}]")
            role = fields.get("role") or "user"
            if role not in ("user", "model"):
                raise GeminiError(400, "Please use a valid role: user, model.")
            text, count, answered = self._check_parts(fields.get("parts"), f"contents[{i}]", key, prompt.notes,
                                                      role, model)
            prompt.tokens += count
            prompt.last_text = text if text and role == "user" else prompt.last_text
        if body.get("systemInstruction") is not None:
            system = _fields(body["systemInstruction"], {"role", "parts"}, "system_instruction")
            prompt.tokens += self._check_parts(system.get("parts"), "system_instruction", key, [], "user", model)[1]
        for name in ("generationConfig", "toolConfig"):
            if body.get(name) is not None and not isinstance(body[name], dict):
                raise GeminiError(400, f"Invalid value at '{name}': Starting an object on a scalar field")
        _check_safety_settings(body.get("safetySettings"))
        functions = _declared_functions(body.get("tools"), body.get("toolConfig"))
        named = [name for name in functions if name in prompt.last_text]
        prompt.call = named[0] if named and not answered else ""
        prompt.tokens += 258 * len(prompt.notes)
        return prompt

    def _check_parts(self, parts: object, where: str, key: str, notes: list[str], role: str,
                     model: str) -> tuple[str, int, bool]:
        """(text, words, whether a functionResponse is among them) of a content's valid parts."""
        if not isinstance(parts, list) or not parts:
            raise GeminiError(400, f"* GenerateContentRequest.{where}.parts: contents.parts must not be empty.\n")
        text, words, answered = "", 0, False
        for j, part in enumerate(parts):
            at = f"{where}.parts[{j}]"
            fields = _fields(part, DATA | PART_META, at)
            data = [name for name in fields if name in DATA]
            if len(data) != 1:
                raise GeminiError(400, f"Invalid JSON payload received. Oneof field 'data' is already set. Cannot "
                                  f"set '{data[1]}'" if data else f"* GenerateContentRequest.{at}.data: required "
                                  "oneof field 'data' must have one initialized field\n")
            if "text" in fields:
                if not isinstance(fields["text"], str):
                    raise GeminiError(400, f"Invalid value at '{at}.text' (TYPE_STRING)")
                words += len(fields["text"].split())
                text = fields["text"] if fields["text"].strip() else text
            elif "inlineData" in fields:
                blob = _fields(fields["inlineData"], {"mimeType", "data"}, f"{at}.inline_data")
                mime, raw = blob.get("mimeType") or "", _b64(blob.get("data", ""), f"{at}.inline_data.data")
                if not MIME_OK.match(mime):
                    raise GeminiError(400, f"Unsupported MIME type: {mime}" if mime else
                                      f"* GenerateContentRequest.{at}.inline_data.mime_type: required field\n")
                notes.append(f"inlineData: {mime} {len(raw)} bytes")
            elif "fileData" in fields:
                notes.append(self._check_file_data(fields["fileData"], at, key))
            elif "functionCall" in fields:
                call = _fields(fields["functionCall"], {"id", "name", "args"}, f"{at}.function_call")
                _named(call, f"{at}.function_call")
                if role == "model":
                    self._check_signature(fields.get("thoughtSignature"), call["name"], at, model)
            elif "functionResponse" in fields:
                answer = _fields(fields["functionResponse"], {"id", "name", "response", "parts", "willContinue",
                                                              "scheduling"}, f"{at}.function_response")
                _named(answer, f"{at}.function_response")
                if not isinstance(answer.get("response", {}), dict):
                    raise GeminiError(400, f"Invalid value at '{at}.function_response.response' (type.googleapis."
                                      "com/google.protobuf.Struct), Starting an object on a scalar field")
                answered = True
        return text, words, answered

    def _check_signature(self, signature: object, name: str, at: str, model: str) -> None:
        """A replayed function call carries back the signature the model gave it (thought-signatures guide)."""
        if signature is None:
            if model.startswith("gemini-3"):
                raise GeminiError(400, f"Function call is missing a thought_signature in functionCall parts. "
                                  f"This is required for tools to work correctly. Additional data, function call "
                                  f"`default_api:{name}`, position {at}. Please refer to "
                                  "https://ai.google.dev/gemini-api/docs/thought-signatures for more details.")
            with self._count_lock:
                self.signatures_missing += 1
            return
        raw = _b64(signature, f"{at}.thought_signature")
        if signature not in self._signatures and raw.decode("latin-1") not in DUMMY_SIGNATURES \
                and signature not in DUMMY_SIGNATURES:
            raise GeminiError(400, f"Corrupted thought signature at {at}.")

    def _check_file_data(self, value: object, at: str, key: str) -> str:
        fields = _fields(value, {"mimeType", "fileUri"}, f"{at}.file_data")
        match = FILE_URI.fullmatch(str(fields.get("fileUri") or ""))
        if not match:
            raise GeminiError(400, f"Invalid or unsupported file uri: {fields.get('fileUri')}")
        stored = self._owned(match.group(2), key)
        if stored.resource["state"] != "ACTIVE":
            raise GeminiError(400, f"The File {stored.id} is not in an ACTIVE state and usage is not allowed.",
                              "FAILED_PRECONDITION")
        return f"fileData: files/{stored.id} ({fields.get('mimeType') or stored.resource['mimeType']})"

    # -- File API ----------------------------------------------------------------------------------
    async def _upload(self, request: Request, key: str | None) -> Response:
        """Resumable upload: `start` (with the key) opens a session; chunks go to its upload URL."""
        upload_id = request.query_params.get("upload_id")
        if key is not None:
            return await self._upload_start(request, key)
        upload = self._uploads.get(upload_id or "")
        if upload is None:
            raise GeminiError(404, "Upload session not found (unknown or finalized upload_id).")
        commands = {part.strip() for part in request.headers.get("x-goog-upload-command", "").split(",")}
        offset = request.headers.get("x-goog-upload-offset", "")
        if not {"upload", "finalize"} & commands or offset != str(upload.received):
            raise GeminiError(400, f"Bad X-Goog-Upload-Command {sorted(commands)} or X-Goog-Upload-Offset "
                              f"{offset!r}: {upload.received} bytes were received so far.")
        size = 0
        with open(upload.path, "ab") as handle:  # noqa: ASYNC230 - a local temp file in a test double
            async for piece in request.stream():
                handle.write(piece)
                size += len(piece)
        request.state.record.size, upload.received = size, upload.received + size
        with self._count_lock:
            self.bytes_received += size
            self.peak_chunk_bytes = max(self.peak_chunk_bytes, size)
        declared = int(upload.resource["sizeBytes"])
        if upload.received > declared or ("finalize" in commands and upload.received != declared):
            del self._uploads[upload_id]
            raise GeminiError(400, f"Received {upload.received} bytes; the upload declared {declared}.")
        if "finalize" not in commands:
            return Response(headers={"x-goog-upload-status": "active",
                                     "x-goog-upload-size-received": str(upload.received)})
        del self._uploads[upload_id]
        return JSONResponse({"file": self._finish(upload).resource}, headers={"x-goog-upload-status": "final"})

    async def _upload_start(self, request: Request, key: str) -> Response:
        headers = request.headers
        if headers.get("x-goog-upload-protocol") != "resumable" or headers.get("x-goog-upload-command") != "start":
            raise GeminiError(400, "This emulator takes X-Goog-Upload-Protocol: resumable with Command: start.")
        size = headers.get("x-goog-upload-header-content-length", "")
        if not size.isdigit():
            raise GeminiError(400, "X-Goog-Upload-Header-Content-Length must be the file's size in bytes.")
        try:
            raw = await request.body()
            body = json.loads(raw) if raw.strip() else {}
        except ValueError:
            raise GeminiError(400, "Invalid JSON payload received. Unexpected token.") from None
        meta = _fields(_fields(body, {"file"}, "").get("file") or {}, {"name", "displayName", "mimeType", "sizeBytes"},
                       "file")
        file_id = str(meta.get("name") or uuid.uuid4().hex[:12]).removeprefix("files/")
        if not re.fullmatch(r"[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?", file_id):
            raise GeminiError(400, f"Invalid file name files/{file_id}: lowercase letters, digits and dashes only.")
        if file_id in self.files:
            raise GeminiError(409, f"File files/{file_id} already exists.")
        upload_id = uuid.uuid4().hex
        mime = headers.get("x-goog-upload-header-content-type") or meta.get("mimeType") or "application/octet-stream"
        resource = {"name": f"files/{file_id}", "displayName": meta.get("displayName"), "mimeType": mime,
                    "sizeBytes": size}
        self._uploads[upload_id] = StoredFile(file_id, key, os.path.join(self._dir.name, upload_id), resource,
                                              request.path_params["version"])
        open(self._uploads[upload_id].path, "wb").close()  # noqa: ASYNC230 - an empty local temp file
        url = f"{self.base_url}/upload/{request.path_params['version']}/files?upload_id={upload_id}" \
              "&upload_protocol=resumable"
        return Response(headers={"x-goog-upload-status": "active", "x-goog-upload-url": url,
                                 "x-goog-upload-control-url": url, "x-goog-upload-chunk-granularity": "8388608"})

    def _finish(self, stored: StoredFile) -> StoredFile:
        digest = hashlib.sha256()
        with open(stored.path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        if not stored.resource["displayName"]:
            del stored.resource["displayName"]
        stored.resource.update(createTime=_now(), updateTime=_now(), expirationTime=_now(48),
                               sha256Hash=base64.b64encode(digest.hexdigest().encode()).decode(),
                               uri=f"https://generativelanguage.googleapis.com/{stored.version}/files/{stored.id}",
                               state="PROCESSING", source="UPLOADED")
        with self._count_lock:
            (stored.fate, stored.failure), self._next_fate = self._next_fate, ("active", "")
            self.upload_count += 1
        self.files[stored.id] = stored
        self._advance(stored, polled=False)
        return stored

    def _advance(self, stored: StoredFile, polled: bool = True) -> None:
        """PROCESSING until `processing_polls` GETs, then ACTIVE or FAILED; 'stuck' files never leave it."""
        stored.polls += polled
        if stored.resource["state"] != "PROCESSING" or stored.fate == "stuck" or stored.polls < self.processing_polls:
            return
        stored.resource.update(state="FAILED" if stored.fate == "failed" else "ACTIVE", updateTime=_now())
        if stored.fate == "failed":
            stored.resource["error"] = {"code": 3, "message": stored.failure}

    async def _file(self, request: Request, key: str) -> Response:
        stored = self._owned(request.path_params["file_id"], key)
        if request.method == "DELETE":
            self.expire_file(stored.id)
            return JSONResponse({})
        self._advance(stored)
        return JSONResponse(stored.resource)

    async def _list_files(self, request: Request, key: str) -> Response:
        """This key's files, newest first, in one page; `{}` when there are none (Google omits empty lists)."""
        mine = [f.resource for f in self.files.values() if f.owner == key]
        return JSONResponse({"files": mine[::-1]} if mine else {})
