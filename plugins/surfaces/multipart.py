"""The seed's multipart chat API on LiteLLM's own `/v1/chat/completions` route.

A multipart request is parsed here (files spooled to disk by Starlette, never held whole in
memory), turned into the equivalent OpenAI JSON body, and handed to LiteLLM's route, which
authenticates, calls our pre-call hook and the model exactly as for a JSON request. The files
travel beside the body in a context variable; content parts keep their `file_index`.
"""

from __future__ import annotations

import json
from contextvars import ContextVar
from typing import Any

from fastapi import HTTPException
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException
from starlette.requests import ClientDisconnect, Request
from starlette.routing import Match, Route
from starlette.types import Message, Receive, Scope, Send

from plugins.platform.errors import GatewayError, error_response
from plugins.platform.settings import gateway_settings
from plugins.surfaces.asgi_body import replay_body
from plugins.surfaces.progress import arm_progress
from plugins.surfaces.request_guard import MAX_JSON_DEPTH, json_depth_ok

MB = 1024 * 1024
uploaded_files: ContextVar[list[UploadFile] | None] = ContextVar("uploaded_files", default=None)

FILE_FIELDS = ("files", "files[]")
JSON_FIELDS = ("messages", "metadata", "stop", "response_format", "tools", "tool_choice", "stream_options")
TEXT_FIELDS = ("model", "task", "privacy_mode", "sensitive_data", "user")
NUMBER_FIELDS = {"temperature": float, "top_p": float, "max_tokens": int, "max_completion_tokens": int, "seed": int}
BOOL_FIELDS = ("stream",)


class RequestTooLarge(Exception):
    """The body grew past the configured request limit while it was being received."""


def request_limit_bytes() -> int:
    return int(float(gateway_settings("attachments")["max_request_mb"]) * MB)


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers") or []:
        if key.lower() == name:
            return value.decode("latin-1")
    return ""


FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


def is_multipart(scope: Scope) -> bool:
    """A form post (multipart, or urlencoded as `requests` sends a form without files)."""
    return scope.get("method") == "POST" and _header(scope, b"content-type").lower().startswith(FORM_TYPES)


def _boundary(scope: Scope) -> bytes | None:
    content_type = _header(scope, b"content-type")
    if not content_type.lower().startswith("multipart/form-data"):
        return None
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.strip().partition("=")
        if name.lower() == "boundary":
            return value.strip('"').encode("latin-1")
    return None


class LimitedBody:
    """Counts body bytes as they arrive and stops at the limit, so an oversized upload is never fully
    read; keeps the last bytes so a multipart body cut short (no closing boundary) can be told apart."""

    def __init__(self, receive: Receive, limit: int) -> None:
        self.receive, self.limit, self.received, self.tail = receive, limit, 0, b""

    async def __call__(self) -> Message:
        message = await self.receive()
        chunk = message.get("body", b"")
        self.received += len(chunk)
        if self.received > self.limit:
            raise RequestTooLarge
        self.tail = (self.tail + chunk)[-512:]
        return message

    def ends_with_boundary(self, boundary: bytes) -> bool:
        return self.tail.rstrip(b"\r\n").endswith(b"--" + boundary + b"--")


def _parse_json_field(name: str, raw: str) -> Any:
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as error:
        raise HTTPException(
            400, f"Field '{name}' is not valid JSON: {error.msg} at line {error.lineno} column {error.colno} "
            f"(char {error.pos})."
        ) from None
    except RecursionError:
        value = None
    if value is None and raw.strip() != "null" or not json_depth_ok(value):
        raise HTTPException(400, f"Field '{name}' nests deeper than {MAX_JSON_DEPTH} levels.")
    return value


def _parse_scalar(name: str, raw: str) -> Any:
    if name in BOOL_FIELDS:
        if raw.strip().lower() not in ("true", "false", "1", "0"):
            raise HTTPException(400, f"Field '{name}' must be true or false, got {raw!r}.")
        return raw.strip().lower() in ("true", "1")
    try:
        return NUMBER_FIELDS[name](raw)
    except ValueError:
        raise HTTPException(400, f"Field '{name}' must be a number, got {raw!r}.") from None


def referenced_indexes(messages: list) -> list[int]:
    """Every `file_index` used by a content part, validated as a non-negative integer."""
    found = []
    for message in messages:
        content = message.get("content") if isinstance(message, dict) else None
        for part in content if isinstance(content, list) else []:
            if isinstance(part, dict) and "file_index" in part:
                index = part["file_index"]
                if not isinstance(index, int) or isinstance(index, bool) or index < 0:
                    raise HTTPException(400, f"file_index must be a non-negative integer, got {index!r}.")
                found.append(index)
    return found


def check_file_references(messages: list, files: list[UploadFile]) -> None:
    """Every reference points at a file and every file is referenced: nothing is silently dropped."""
    used = referenced_indexes(messages)
    missing = sorted({index for index in used if index >= len(files)})
    if missing:
        raise HTTPException(400, f"file_index {missing} out of range: the request has {len(files)} file(s).")
    unused = sorted(set(range(len(files))) - set(used))
    if unused:
        raise HTTPException(400, f"files {unused} are not referenced by any content part (file_index).")


def body_from_form(form: Any) -> tuple[dict[str, Any], list[UploadFile]]:
    """The OpenAI JSON body and the ordered uploads for a multipart chat request."""
    body: dict[str, Any] = {}
    files: list[UploadFile] = []
    for name, value in form.multi_items():
        if name in FILE_FIELDS:
            if not isinstance(value, UploadFile):
                raise HTTPException(400, f"Field '{name}' must be a file upload.")
            if not value.size:
                raise HTTPException(400, f"File {len(files)} ({value.filename!r}) is empty.")
            files.append(value)
        elif isinstance(value, UploadFile):
            raise HTTPException(400, f"Unexpected file field '{name}': send files as 'files'.")
        elif name in body:  # a second value would silently replace the first (e.g. privacy_mode)
            raise HTTPException(400, f"Field '{name}' was sent more than once: send it once.")
        elif name in JSON_FIELDS:
            body[name] = _parse_json_field(name, value)
        elif name in TEXT_FIELDS:
            body[name] = value
        elif name in NUMBER_FIELDS or name in BOOL_FIELDS:
            body[name] = _parse_scalar(name, value)
        else:
            raise HTTPException(400, f"Unknown field '{name}'.")
    messages = body.get("messages")
    if messages is None:
        raise HTTPException(400, "Field 'messages' is required (a JSON list of messages).")
    if not isinstance(messages, list) or not messages:
        raise HTTPException(400, "Field 'messages' must be a non-empty JSON list of messages.")
    check_file_references(messages, files)
    total = sum(upload.size or 0 for upload in files)
    if total > request_limit_bytes():
        raise HTTPException(413, f"Files total {total} bytes; the limit is {request_limit_bytes()} bytes per request.")
    body.setdefault("model", "auto")
    return body, files


class MultipartChatRoute(Route):
    """A route placed ahead of LiteLLM's chat route that only matches multipart requests.

    It turns the form into JSON and sends the request through the app's router again, where
    LiteLLM's own JSON route takes it.
    """

    def __init__(self, path: str) -> None:
        super().__init__(path, self.handle_multipart, methods=["POST"], include_in_schema=False)
        self.app = self.handle_multipart

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope.get("type") != "http" or not is_multipart(scope):
            return Match.NONE, {}
        return super().matches(scope)

    async def handle_multipart(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = request_limit_bytes() + MB  # the files' limit plus room for the form fields
        declared = _header(scope, b"content-length")
        if declared.isdigit() and int(declared) > limit:
            await error_response(413, f"Request body of {declared} bytes exceeds the {limit}-byte limit.")(
                scope, receive, send
            )
            return
        body_stream = LimitedBody(receive, limit)
        request = Request(scope, body_stream)
        try:
            form = await request.form(max_part_size=limit)
        except RequestTooLarge:
            await error_response(413, f"Request body exceeds the {limit}-byte limit.")(scope, receive, send)
            return
        except (MultiPartException, ClientDisconnect, ValueError) as error:
            await error_response(400, f"Malformed multipart body: {error or 'truncated'}.")(scope, receive, send)
            return
        boundary = _boundary(scope)
        if boundary and not body_stream.ends_with_boundary(boundary):
            await form.close()
            await error_response(400, "Malformed multipart body: truncated (no closing boundary).")(
                scope, receive, send
            )
            return
        try:
            try:
                body, files = body_from_form(form)
            except GatewayError as error:
                await error.response()(scope, receive, send)
                return
            except HTTPException as error:
                await error_response(error.status_code, str(error.detail))(scope, receive, send)
                return
            arm_progress(scope, body)  # stream=true: SSE comments while the attachments are scanned
            await self._forward_as_json(scope, receive, send, body, files)
        finally:
            await form.close()

    async def _forward_as_json(
        self, scope: Scope, receive: Receive, send: Send, body: dict, files: list[UploadFile]
    ) -> None:
        payload = json.dumps(body).encode()
        headers = [
            (key, value) for key, value in scope["headers"] if key.lower() not in (b"content-type", b"content-length")
        ]
        headers += [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
        receive_json = replay_body(payload, receive)

        json_scope = {**scope, "headers": headers}
        token = uploaded_files.set(files)
        try:
            await scope["app"].router(json_scope, receive_json, send)
        except Exception as error:
            # Raised past LiteLLM's route (e.g. its auth error): answer with the app's own handler for it.
            handler = next(
                (scope["app"].exception_handlers[kind] for kind in type(error).__mro__
                 if kind in scope["app"].exception_handlers),
                None,
            )
            if handler is None:
                raise
            response = await handler(Request(json_scope, receive_json), error)
            await response(json_scope, receive_json, send)
        finally:
            uploaded_files.reset(token)
