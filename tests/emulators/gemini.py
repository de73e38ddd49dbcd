"""The Gemini Developer API (generativelanguage.googleapis.com) as documented, so LiteLLM and google-genai
are tested against its wire format: generateContent, streamGenerateContent (SSE or JSON array), the
resumable File API upload, files get/list/delete with PROCESSING -> ACTIVE/FAILED, models list/get.

It rejects what the real service rejects: a missing (403) or wrong (400) key, unknown JSON fields
(also inside generationConfig and thinkingConfig, typed), penalties on 2.5 models ("Penalty is not
enabled"), parts without exactly one data field, bad base64, bodies over 20 MB, file URIs that are not
this key's ACTIVE files in Google's own URI form (handed out although it is served on 127.0.0.1).
2.5 models think by default and their thinking counts against maxOutputTokens (usageMetadata
thoughtsTokenCount; a short limit ends MAX_TOKENS with no parts), unless thinkingBudget is 0.
Uploaded bytes go to a temp dir, never memory."""

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
from dataclasses import dataclass
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


def _is_chunk(scope: Scope) -> bool:
    return scope["path"].startswith("/upload/") and b"upload_id=" in scope["query_string"]


class GeminiEmulator(Emulator):
    """Gemini for `api_key` (plus `extra_api_keys`, each seeing only its own files)."""

    def __init__(self, api_key: str = "test-gemini-key", extra_api_keys: Iterable[str] = (),
                 models: Iterable[str] = ("gemini-2.5-flash", "gemini-2.5-pro", "gemini-2.5-flash-lite"),
                 processing_polls: int = 1) -> None:
        self.api_key, self.api_keys, self.models = api_key, {api_key, *extra_api_keys}, list(models)
        self.processing_polls = self._default_polls = processing_polls
        self.files: dict[str, StoredFile] = {}
        self._uploads: dict[str, StoredFile] = {}
        self._next_fate = ("active", "")
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
            self.bytes_received = self.peak_chunk_bytes = self.upload_count = 0
            self._next_fate = ("active", "")

    def reset(self) -> None:
        """clear(), and processing_polls back to the constructor's value."""
        self.clear()
        self.processing_polls = self._default_polls

    def fail_next_file(self, message: str = "File processing failed.") -> None:
        self._next_fate = ("failed", message)

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
        body = fault.body or {"error": GeminiError(fault.status, "Injected fault.").error}
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
        last_text, notes, prompt_tokens = self._check_request(body, key)
        words = " ".join([f"{model} says: {last_text}", *(f"[{note}]" for note in notes)]).split(" ")
        config, finish = _generation_config(body.get("generationConfig"), model), "STOP"
        thoughts = _thinking_tokens(config, model)
        limit = config.get("maxOutputTokens")
        if isinstance(limit, int) and 0 < limit < len(words) + thoughts:  # thinking spends the budget first
            words, finish = words[:max(0, limit - thoughts)], "MAX_TOKENS"
        with self._count_lock:
            self._responses += 1
            response_id = f"emulated-{self._responses:06d}"

        def chunk(text: str, done: int, final: bool) -> dict:
            content: dict = {"parts": [{"text": text}], "role": "model"} if text else {"role": "model"}
            candidate: dict = {"content": content, "index": 0}
            candidate.update({"finishReason": finish} if final else {})
            usage = {"promptTokenCount": prompt_tokens, "candidatesTokenCount": done,
                     "totalTokenCount": prompt_tokens + done + thoughts,
                     "promptTokensDetails": [{"modality": "TEXT", "tokenCount": prompt_tokens}]}
            usage.update({"thoughtsTokenCount": thoughts} if thoughts else {})
            return {"candidates": [candidate], "usageMetadata": usage, "modelVersion": model, "responseId": response_id}

        if method == "generateContent":
            return JSONResponse(chunk(" ".join(words), len(words), True))
        pieces = [chunk(word if n == 0 else f" {word}", n + 1, n == len(words) - 1) for n, word in enumerate(words)]
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

    def _check_request(self, body: dict, key: str) -> tuple[str, list[str], int]:
        """(last user text, one note per media part, prompt tokens) of a valid GenerateContentRequest."""
        contents = body.get("contents")
        if not contents:
            raise GeminiError(400, "* GenerateContentRequest.contents: contents is not specified\n")
        if not isinstance(contents, list):
            raise GeminiError(400, "Invalid value at 'contents': Starting an object on a repeated field")
        last_text, notes, words = "", [], 0
        for i, content in enumerate(contents):
            fields = _fields(content, {"role", "parts"}, f"contents[{i}]")
            if fields.get("role", "user") not in ("", "user", "model"):
                raise GeminiError(400, "Please use a valid role: user, model.")
            text, count = self._check_parts(fields.get("parts"), f"contents[{i}]", key, notes)
            words += count
            last_text = text if text and fields.get("role", "user") in ("", "user") else last_text
        if body.get("systemInstruction") is not None:
            system = _fields(body["systemInstruction"], {"role", "parts"}, "system_instruction")
            words += self._check_parts(system.get("parts"), "system_instruction", key, [])[1]
        for name in ("generationConfig", "toolConfig"):
            if body.get(name) is not None and not isinstance(body[name], dict):
                raise GeminiError(400, f"Invalid value at '{name}': Starting an object on a scalar field")
        return last_text, notes, words + 258 * len(notes)

    def _check_parts(self, parts: object, where: str, key: str, notes: list[str]) -> tuple[str, int]:
        if not isinstance(parts, list) or not parts:
            raise GeminiError(400, f"* GenerateContentRequest.{where}.parts: contents.parts must not be empty.\n")
        text, words = "", 0
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
        return text, words

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
