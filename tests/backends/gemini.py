"""The Gemini API as documented: generateContent, streamGenerateContent (SSE), the resumable
File API upload, files get/list/delete with PROCESSING -> ACTIVE/FAILED states, models list.

Requests are validated as the real service does: API key required (header or `key` query),
unknown body fields rejected, parts must carry exactly one data field, file URIs must be this
key's ACTIVE files in Google's URI form. Uploaded bytes go to a temp dir, not memory."""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
import os
import tempfile
import threading
import uuid
from datetime import datetime, timedelta, timezone

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.backends.faults import Emulator

URI_PREFIX = "https://generativelanguage.googleapis.com/v1beta/files/"
BODY_FIELDS = {"contents", "systemInstruction", "system_instruction", "generationConfig", "generation_config",
               "safetySettings", "safety_settings", "tools", "toolConfig", "tool_config", "cachedContent",
               "cached_content", "labels"}
DATA_FIELDS = {"text", "inlineData", "inline_data", "fileData", "file_data", "functionCall", "function_call",
               "functionResponse", "function_response", "executableCode", "codeExecutionResult"}
PART_METADATA = {"thought", "thoughtSignature", "thought_signature", "videoMetadata", "video_metadata",
                 "mediaResolution", "media_resolution"}
MAX_REQUEST_BYTES = 20 * 1024 * 1024


def _status(code: int, status: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, "status": status}}, status_code=code)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


class GeminiEmulator(Emulator):
    def __init__(self, api_key: str = "test-gemini-key", processing_polls: int = 1) -> None:
        super().__init__()
        self.api_key = api_key
        self.processing_polls = processing_polls
        self.files: dict[str, dict] = {}
        self._uploads: dict[str, dict] = {}
        self._next_file: dict = {}
        self._dir = tempfile.TemporaryDirectory(prefix="gemini-emulator-")
        self.bytes_received = 0
        self.peak_chunk = 0
        self._files_lock = threading.Lock()
        self.app = Starlette(routes=[
            Route("/v1beta/models", self.list_models, methods=["GET"]),
            Route("/v1beta/models/{target:path}", self.model_call, methods=["POST"]),
            *(route for version in ("v1beta", "v1") for route in (
                Route(f"/upload/{version}/files", self.upload, methods=["POST"]),
                Route(f"/{version}/files", self.list_files, methods=["GET"]),
                Route(f"/{version}/files/{{file_id}}", self.file, methods=["GET", "DELETE"]),
            )),
            Route("/{path:path}", self.unknown, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
        ])

    # -- test helpers ------------------------------------------------------------------------
    def reset(self) -> None:
        super().reset()
        self._next_file = {}
        self.processing_polls = 1

    @property
    def upload_count(self) -> int:
        """Uploads completed since the last reset."""
        return sum(1 for record in self.requests if "finalize" in record.headers.get("x-goog-upload-command", ""))

    @property
    def generate_count(self) -> int:
        return sum(1 for record in self.requests if record.method == "POST" and "Content" in record.path)

    def fail_next_file(self, message: str) -> None:
        self._next_file = {"fail": message}

    def stick_next_file_in_processing(self) -> None:
        self._next_file = {"stuck": True}

    def expire_file(self, file_id: str) -> None:
        """Forget a file as if its 48 h lifetime had passed."""
        with self._files_lock:
            self.files.pop(file_id.removeprefix("files/"), None)

    async def unknown(self, request: Request) -> JSONResponse:
        self.record(request)
        return _status(404, "NOT_FOUND", f"The requested URL {request.url.path} was not found on this server.")

    # -- auth --------------------------------------------------------------------------------
    def _auth(self, request: Request) -> JSONResponse | None:
        key = request.headers.get("x-goog-api-key") or request.query_params.get("key")
        if not key:
            return _status(403, "PERMISSION_DENIED", "Method doesn't allow unregistered callers (callers without "
                           "established identity). Please use API Key or other form of API consumer identity.")
        if key != self.api_key:
            return _status(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.")
        return None

    # -- models ------------------------------------------------------------------------------
    async def list_models(self, request: Request) -> JSONResponse:
        self.record(request)
        denied = self._auth(request)
        if denied:
            return denied
        return JSONResponse({"models": [{"name": "models/gemini-2.5-flash", "displayName": "Gemini 2.5 Flash",
                                         "supportedGenerationMethods": ["generateContent", "countTokens"]}]})

    async def model_call(self, request: Request):
        raw = await request.body()
        try:
            body = json.loads(raw or b"null")
        except json.JSONDecodeError:
            self.record(request, None, len(raw))
            return _status(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
        self.record(request, body, len(raw))
        denied = self._auth(request)
        if denied:
            return denied
        model, _, method = request.path_params["target"].partition(":")
        if method not in ("generateContent", "streamGenerateContent"):
            return _status(404, "NOT_FOUND", f"Method {method} not found.")
        if model != "gemini-2.5-flash":
            return _status(404, "NOT_FOUND", f"models/{model} is not found for API version v1beta.")
        fault = self.take_fault(request.url.path)
        faulted = await self.apply_fault(fault, {"error": {"code": fault.status if fault else 500,
                                                            "message": "Injected failure", "status": "INTERNAL"}})
        if faulted:
            return faulted
        if len(raw) > MAX_REQUEST_BYTES:
            return _status(400, "INVALID_ARGUMENT", "Request payload size exceeds the limit: 20971520 bytes.")
        summary = self._validate(body)
        if isinstance(summary, JSONResponse):
            return summary
        text = f"{model} says: {summary}"
        if method == "generateContent":
            return JSONResponse(self._response(model, text, final=True))
        if request.query_params.get("alt") != "sse":
            return JSONResponse([self._response(model, text, final=True)])
        return StreamingResponse(self._sse(model, text, fault), media_type="text/event-stream")

    def _validate(self, body: object) -> str | JSONResponse:
        if not isinstance(body, dict):
            return _status(400, "INVALID_ARGUMENT", "Invalid JSON payload received. Expected an object.")
        for name in body:
            if name not in BODY_FIELDS:
                return _status(400, "INVALID_ARGUMENT",
                               f"Invalid JSON payload received. Unknown name \"{name}\": Cannot find field.")
        contents = body.get("contents")
        if not isinstance(contents, list) or not contents:
            return _status(400, "INVALID_ARGUMENT", "* GenerateContentRequest.contents: contents is not specified")
        last_text, notes = "", []
        for content in contents:
            if not isinstance(content, dict) or content.get("role", "user") not in ("user", "model", "function"):
                return _status(400, "INVALID_ARGUMENT", "Please use a valid role: user, model.")
            parts = content.get("parts")
            if not isinstance(parts, list) or not parts:
                return _status(400, "INVALID_ARGUMENT", "* GenerateContentRequest.contents.parts: contents.parts "
                               "must not be empty.")
            for part in parts:
                checked = self._validate_part(part)
                if isinstance(checked, JSONResponse):
                    return checked
                if "text" in part and content.get("role", "user") == "user" and part["text"].strip():
                    last_text = part["text"]
                elif checked:
                    notes.append(checked)
        return last_text + (f" [{'; '.join(notes)}]" if notes else "")

    def _validate_part(self, part: object) -> str | JSONResponse:
        if not isinstance(part, dict):
            return _status(400, "INVALID_ARGUMENT", "Invalid value at 'contents.parts'.")
        data_fields = [name for name in part if name in DATA_FIELDS]
        unknown = [name for name in part if name not in DATA_FIELDS | PART_METADATA]
        if unknown:
            return _status(400, "INVALID_ARGUMENT", f"Invalid JSON payload received. Unknown name \"{unknown[0]}\" "
                           "at 'contents[0].parts[0]': Cannot find field.")
        if len(data_fields) != 1:
            return _status(400, "INVALID_ARGUMENT", "Part must have exactly one data field (oneof data).")
        inline = part.get("inlineData") or part.get("inline_data")
        if inline is not None:
            mime = inline.get("mimeType") or inline.get("mime_type")
            try:
                size = len(base64.b64decode(inline.get("data", ""), validate=True))
            except (binascii.Error, ValueError):
                return _status(400, "INVALID_ARGUMENT", "Invalid value at 'contents[0].parts[0].inline_data.data' "
                               "(TYPE_BYTES), Base64 decoding failed.")
            if not mime:
                return _status(400, "INVALID_ARGUMENT", "inline_data.mime_type is required.")
            return f"inlineData: {mime} {size} bytes"
        file_data = part.get("fileData") or part.get("file_data")
        if file_data is not None:
            uri = file_data.get("fileUri") or file_data.get("file_uri") or ""
            file_id = uri.removeprefix(URI_PREFIX)
            found = self.files.get(file_id) if uri.startswith(URI_PREFIX) else None
            if found is None or found["owner"] != self.api_key:
                return _status(403, "PERMISSION_DENIED", f"You do not have permission to access the File {file_id} "
                               "or it may not exist.")
            if found["state"] != "ACTIVE":
                return _status(400, "FAILED_PRECONDITION", f"The File {file_id} is not in an ACTIVE state and "
                               "usage is not allowed.")
            return f"fileData: files/{file_id} ({file_data.get('mimeType') or file_data.get('mime_type')})"
        return ""

    def _response(self, model: str, text: str, final: bool) -> dict:
        candidate: dict = {"content": {"parts": [{"text": text}], "role": "model"}, "index": 0}
        if final:
            candidate["finishReason"] = "STOP"
        return {"candidates": [candidate], "modelVersion": model, "responseId": uuid.uuid4().hex[:20],
                "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 5, "totalTokenCount": 15}}

    async def _sse(self, model: str, text: str, fault):
        words = text.split(" ")
        for position, word in enumerate(words):
            if fault and fault.die_mid_stream and position == 2:
                raise ConnectionResetError("emulator died mid-stream")
            piece = word if position == 0 else f" {word}"
            chunk = self._response(model, piece, final=position == len(words) - 1)
            yield f"data: {json.dumps(chunk)}\r\n\r\n"
            await asyncio.sleep(0)

    # -- File API ----------------------------------------------------------------------------
    def _resource(self, file: dict) -> dict:
        resource = {key: file[key] for key in ("name", "displayName", "mimeType", "sizeBytes", "createTime",
                                               "updateTime", "expirationTime", "sha256Hash", "uri", "state")}
        resource["source"] = "UPLOADED"
        if file["state"] == "FAILED":
            resource["error"] = {"code": 400, "message": file["fail"]}
        return resource

    async def upload(self, request: Request) -> Response:
        command = request.headers.get("x-goog-upload-command", "")
        upload_id = request.query_params.get("upload_id")
        if "start" in command:
            raw = await request.body()
            self.record(request, json.loads(raw or b"{}"), len(raw))
            denied = self._auth(request)
            if denied:
                return denied
            if request.headers.get("x-goog-upload-protocol") != "resumable":
                return _status(400, "INVALID_ARGUMENT", "Upload protocol must be resumable.")
            size = request.headers.get("x-goog-upload-header-content-length", "")
            if not size.isdigit():
                return _status(400, "INVALID_ARGUMENT", "X-Goog-Upload-Header-Content-Length is required.")
            meta = (json.loads(raw or b"{}").get("file") or {})
            upload_id = uuid.uuid4().hex
            self._uploads[upload_id] = {"size": int(size), "received": 0, "path": os.path.join(self._dir.name,
                                        upload_id), "sha": hashlib.sha256(), "owner": self.api_key,
                                        "mime": request.headers.get("x-goog-upload-header-content-type")
                                        or meta.get("mimeType") or "application/octet-stream",
                                        "display": meta.get("displayName", "")}
            url = f"{self.base_url}{request.url.path}?upload_id={upload_id}&upload_protocol=resumable"
            return Response(headers={"x-goog-upload-url": url, "x-goog-upload-status": "active"})
        upload = self._uploads.get(upload_id or "")
        if upload is None:
            self.record(request)
            return _status(404, "NOT_FOUND", "Upload session not found.")
        offset = request.headers.get("x-goog-upload-offset", "")
        if not offset.isdigit() or int(offset) != upload["received"]:
            self.record(request)
            return _status(400, "INVALID_ARGUMENT", f"Invalid upload offset {offset}; expected {upload['received']}.")
        chunk_size = 0
        with open(upload["path"], "ab") as handle:  # noqa: ASYNC230 - test emulator, local disk
            async for piece in request.stream():
                handle.write(piece)
                upload["sha"].update(piece)
                chunk_size += len(piece)
        self.record(request, None, chunk_size)
        upload["received"] += chunk_size
        self.bytes_received += chunk_size
        self.peak_chunk = max(self.peak_chunk, chunk_size)
        fault = self.take_fault(request.url.path)
        unavailable = {"error": {"code": 503, "message": "Injected", "status": "UNAVAILABLE"}}
        faulted = await self.apply_fault(fault, unavailable)
        if faulted:
            return faulted
        if "finalize" not in command:
            return Response(headers={"x-goog-upload-status": "active"})
        if upload["received"] != upload["size"]:
            return _status(400, "INVALID_ARGUMENT", "Upload size does not match the declared content length.")
        return JSONResponse({"file": self._resource(self._finish(upload_id, upload))},
                            headers={"x-goog-upload-status": "final"})

    def _finish(self, upload_id: str, upload: dict) -> dict:
        now = datetime.now(timezone.utc)
        file_id = upload_id[:12]
        file = {"name": f"files/{file_id}", "displayName": upload["display"], "mimeType": upload["mime"],
                "sizeBytes": str(upload["size"]), "createTime": _iso(now), "updateTime": _iso(now),
                "expirationTime": _iso(now + timedelta(hours=48)),
                "sha256Hash": base64.b64encode(upload["sha"].hexdigest().encode()).decode(),
                "uri": f"{URI_PREFIX}{file_id}", "state": "PROCESSING", "owner": upload["owner"], "polls": 0,
                "fail": self._next_file.get("fail"), "stuck": self._next_file.get("stuck", False), "path": upload["path"]}
        self._next_file = {}
        with self._files_lock:
            self.files[file_id] = file
        del self._uploads[upload_id]
        return file

    async def file(self, request: Request) -> JSONResponse:
        self.record(request)
        denied = self._auth(request)
        if denied:
            return denied
        fault = self.take_fault(request.url.path)
        faulted = await self.apply_fault(fault, {"error": {"code": 500, "message": "Injected", "status": "INTERNAL"}})
        if faulted:
            return faulted
        file_id = request.path_params["file_id"]
        file = self.files.get(file_id)
        if file is None or file["owner"] != self.api_key:
            return _status(403, "PERMISSION_DENIED", f"You do not have permission to access the File {file_id} or "
                           "it may not exist.")
        if request.method == "DELETE":
            with self._files_lock:
                self.files.pop(file_id, None)
            return JSONResponse({})
        file["polls"] += 1
        if file["state"] == "PROCESSING" and not file["stuck"] and file["polls"] >= self.processing_polls:
            file["state"] = "FAILED" if file["fail"] else "ACTIVE"
            file["updateTime"] = _iso(datetime.now(timezone.utc))
        return JSONResponse(self._resource(file))

    async def list_files(self, request: Request) -> JSONResponse:
        self.record(request)
        denied = self._auth(request)
        if denied:
            return denied
        return JSONResponse({"files": [self._resource(file) for file in self.files.values()]})
