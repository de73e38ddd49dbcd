"""ASGI middleware in front of LiteLLM's app: key before body, one body limit, one error envelope.

- **Auth before body.** A request that carries a body (or asks a model route) is authenticated by
  LiteLLM's own `user_api_key_auth` on its headers alone, before a byte of its body is read; an
  unauthenticated upload of any size costs no memory.
- **One body limit for every route**, from `Content-Length` and while the body streams in: 413.
- **JSON bodies of model routes are checked once** (valid JSON, an object, nesting bounded) and
  handed to LiteLLM already parsed, so malformed input is a 400, never a 500.
- **Error bodies in the OpenAI envelope** on every route: `{"detail": ...}` bodies are rewritten,
  `param: "None"` becomes null, a wrong key is 401 (not LiteLLM's "No connected db" 400), an unknown
  model is 404 `model_not_found`, and every 429 carries `Retry-After`.
- **Chat completions in OpenAI's exact shape** (plugins.surfaces.openai_shape), JSON and streamed.
- **Tenant keys never see backend addresses** (plugins.surfaces.backend_privacy), and a path that
  names the model gives it to the body before auth (plugins.surfaces.path_models).
"""

from __future__ import annotations

import json
from typing import Any

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from plugins.platform.errors import RATE_LIMIT_FIELDS, GatewayError, backend_retry_after
from plugins.platform.settings import gateway_settings
from plugins.policy.end_users import END_USER_SCOPE, end_user_scope
from plugins.policy.parameters import refuse_token_arrays
from plugins.policy.privacy_guard import check_fallback_rule, refuse_provider_settings
from plugins.surfaces.asgi_body import replay_body
from plugins.surfaces.backend_privacy import MODEL_INFO_PATHS, HideBackends, is_admin
from plugins.surfaces.background import start_background
from plugins.surfaces.openai_shape import CHAT_PATHS, ShapedSend
from plugins.surfaces.path_models import path_model, with_path_model
from plugins.surfaces.progress import RESPONSES_PATHS, arm_progress, progress_around, progress_for
from plugins.surfaces.route_table import refuse_unserved

MB = 1024 * 1024
FORM_SLACK_BYTES = MB  # multipart boundaries and form fields around the files
MAX_JSON_DEPTH = 64
ERROR_BODY_LIMIT = 256 * 1024
PUBLIC_PREFIXES = ("/ui", "/sso", "/login", "/v2/login", "/v3/login", "/onboarding", "/_next", "/litellm-asset-prefix",
                   "/.well-known", "/litellm/.well-known", "/public", "/health", "/docs", "/redoc", "/openapi.json",
                   "/swagger", "/fallback/login", "/get_logo_url", "/get_image", "/get_favicon", "/favicon")
# Model routes whose JSON body is checked here (the policy surfaces and the explain route).
JSON_CHECKED = ("/v1/chat/completions", "/chat/completions", "/v1/responses", "/responses", "/openai/v1/responses",
                "/v1/embeddings", "/embeddings", "/v1/route/explain", "/v1/embeddings/text", "/fallback")


class BodyTooLarge(Exception):
    """The body grew past the limit while streaming in."""


def body_limit(path: str, content_type: str) -> int:
    """Bytes a request body may have on `path`: `gateway.limits`."""
    limits = gateway_settings("limits")
    model_route = path.startswith(("/v1/", "/chat/", "/embeddings", "/responses", "/engines/", "/openai/"))
    megabytes = float(limits["max_body_mb"] if model_route else limits["max_admin_body_mb"])
    slack = FORM_SLACK_BYTES if content_type.startswith("multipart/form-data") else 0
    return int(megabytes * MB) + slack


def is_public(path: str) -> bool:
    from litellm.proxy._types import LiteLLMRoutes

    return path in LiteLLMRoutes.public_routes.value or path == "/" or any(
        path == prefix or path.startswith(prefix + "/") or path.startswith(prefix + "?") for prefix in PUBLIC_PREFIXES)


def json_depth_ok(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return False
        if isinstance(item, dict):
            stack += [(child, depth + 1) for child in item.values() if isinstance(child, (dict, list))]
        elif isinstance(item, list):
            stack += [(child, depth + 1) for child in item if isinstance(child, (dict, list))]
    return True


async def authenticate(scope: Scope) -> GatewayError | None:
    """LiteLLM's own key check on the request's headers only; None when the key is valid (then the
    key is kept in `scope["gateway.key"]` and its end-user scope is set, plugins.policy.end_users)."""
    from litellm.proxy._types import ProxyException, SpecialHeaders
    from litellm.proxy.auth.user_api_key_auth import user_api_key_auth

    headers = Headers(scope=scope)
    raw_headers = [(name, value) for name, value in scope["headers"]
                   if name.lower() not in (b"content-type", b"content-length", b"transfer-encoding")]
    synthetic = {**scope, "headers": [*raw_headers, (b"content-type", b"application/json")], "state": {}}
    request = Request(synthetic)

    async def no_body() -> bytes:
        return b"{}"

    request.body = no_body  # type: ignore[method-assign]  # the body is not read before the key is known
    try:
        scope["gateway.key"] = await user_api_key_auth(
            request=request,
            api_key=headers.get(SpecialHeaders.openai_authorization.value),
            azure_api_key_header=headers.get(SpecialHeaders.azure_authorization.value),
            anthropic_api_key_header=headers.get(SpecialHeaders.anthropic_authorization.value),
            google_ai_studio_api_key_header=headers.get(SpecialHeaders.google_ai_studio_authorization.value),
            azure_apim_header=headers.get(SpecialHeaders.azure_apim_authorization.value),
            custom_litellm_key_header=headers.get(SpecialHeaders.custom_litellm_api_key.value),
        )
    except ProxyException as error:
        status = int(error.code) if str(error.code).isdigit() else 401
        if status >= 500 or "No connected db" in error.message or status == 400:
            status = 401
        return GatewayError(status, error.message if status != 401 else _auth_message(error.message),
                            error_type="authentication_error" if status == 401 else None, code=str(status))
    except Exception as error:  # HTTPException and friends from auth
        status = int(getattr(error, "status_code", 401) or 401)
        message = _auth_message(str(getattr(error, "detail", error)))
        return GatewayError(401 if status in (400, 500) else status, message)
    END_USER_SCOPE.set(end_user_scope(scope["gateway.key"]))  # LiteLLM's own auth then reads end users scoped
    return None


def _auth_message(message: str) -> str:
    if "No connected db" in message or not message:
        return "Invalid API key: send a valid key as 'Authorization: Bearer <key>'."
    return message


class RequestGuard:
    """The middleware; see the module docstring."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        progress = progress_for(scope, send) if scope["type"] == "http" else None
        if progress is None:
            await self._guard(scope, receive, send)
            return
        async with progress_around(scope, progress):  # stream: true -> comments until the first event
            await self._guard(scope, receive, progress)

    async def _guard(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope.get("path") == "/metrics":  # LiteLLM mounts its scrape app at /metrics/: no redirect hop
            scope = {**scope, "path": "/metrics/", "raw_path": b"/metrics/"}
        headers = Headers(scope=scope)
        path = scope.get("path", "")
        unserved = await refuse_unserved(scope)
        if unserved is not None:
            await unserved.response()(scope, receive, send)
            return
        content_type = headers.get("content-type", "").lower()
        declared = headers.get("content-length", "")
        has_body = "chunked" in headers.get("transfer-encoding", "").lower() or (declared not in ("", "0"))
        limit = body_limit(path, content_type)
        send = EnvelopeSend(send, path)
        app_send: Send = ShapedSend(send) if path.endswith(CHAT_PATHS) else send
        if declared.isdigit() and int(declared) > limit:
            await _too_large(limit).response()(scope, receive, send)
            return
        if scope.get("method") != "OPTIONS" and not is_public(path) and (has_body or path in JSON_CHECKED or
                                                                        path.startswith(("/v1/models", "/models"))
                                                                        or path.rstrip("/") in MODEL_INFO_PATHS):
            refused = await authenticate(scope)
            if refused is not None:
                await refused.response()(scope, receive, send)
                return
            if not is_admin(scope.get("gateway.key")):
                app_send = HideBackends(app_send, path)
        if has_body and path_model(path) and not content_type.startswith("application/json"):
            await GatewayError(400, f"{path} takes a JSON body (content-type: application/json).").response()(
                scope, receive, send)
            return
        if has_body and (path in JSON_CHECKED or path_model(path)) and content_type.startswith("application/json"):
            await self._checked_json(scope, receive, send, app_send, limit)
            return
        counted = CountedReceive(receive, limit)
        try:
            await self.app(scope, counted, app_send)
        except BodyTooLarge:
            if not send.started:
                await _too_large(limit).response()(scope, receive, send)

    async def _checked_json(self, scope: Scope, receive: Receive, send: EnvelopeSend, app_send: Send,
                            limit: int) -> None:
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _too_large(limit).response()(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        try:
            parsed = json.loads(body) if body.strip() else None
        except (ValueError, RecursionError) as error:
            await GatewayError(400, f"Body is not valid JSON: {str(error)[:200]}").response()(scope, receive, send)
            return
        if not isinstance(parsed, dict):
            kind = type(parsed).__name__ if parsed is not None else "empty"
            await GatewayError(400, f"Body must be a JSON object, not {kind}.").response()(scope, receive, send)
            return
        if not json_depth_ok(parsed):
            await GatewayError(400, f"Body nests deeper than {MAX_JSON_DEPTH} levels.").response()(scope, receive, send)
            return
        try:
            refuse_provider_settings(parsed)
            if scope["path"] in ("/v1/embeddings", "/embeddings"):
                refuse_token_arrays(parsed)
            if scope["path"] == "/fallback" and scope.get("method") == "POST":
                check_fallback_rule(parsed)
            named = path_model(scope["path"])
            if named is not None:
                body = json.dumps(with_path_model(parsed, named)).encode()
        except GatewayError as error:
            await error.response()(scope, receive, send)
            return
        if scope["path"] in RESPONSES_PATHS and isinstance(parsed.get("background"), bool):
            if parsed.pop("background"):
                await start_background(self, scope, parsed, send)
                return
            body = json.dumps(parsed).encode()  # background: false is the default: nothing to forward
        arm_progress(scope, parsed)
        await self.app(scope, replay_body(body, receive), app_send)


def _too_large(limit: int) -> GatewayError:
    return GatewayError(413, f"Request body exceeds the {limit}-byte limit (gateway.limits).", code="request_too_large")


class CountedReceive:
    """Counts body bytes as they arrive and stops at the limit."""

    def __init__(self, receive: Receive, limit: int) -> None:
        self.receive, self.limit, self.received = receive, limit, 0

    async def __call__(self) -> Message:
        message = await self.receive()
        self.received += len(message.get("body", b""))
        if self.received > self.limit:
            raise BodyTooLarge
        return message


class EnvelopeSend:
    """Rewrites error responses into the OpenAI envelope (small JSON error bodies only)."""

    def __init__(self, send: Send, path: str) -> None:
        self.send, self.path = send, path
        self.started = False
        self._held: Message | None = None
        self._body: list[bytes] = []

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
            headers = Headers(raw=message.get("headers") or [])
            if message["status"] >= 400 and headers.get("content-type", "").startswith("application/json"):
                self._held = message
                return
            await self.send(_with_retry_after(message))
            return
        if message["type"] == "http.response.body" and self._held is not None:
            self._body.append(message.get("body", b""))
            if message.get("more_body", False) and sum(map(len, self._body)) < ERROR_BODY_LIMIT:
                return
            await self._flush(message.get("more_body", False))
            return
        await self.send(message)

    async def _flush(self, more_body: bool) -> None:
        start, body = self._held, b"".join(self._body)
        self._held, self._body = None, []
        assert start is not None
        status, retry_after = start["status"], None
        if not more_body:
            rewritten = envelope(status, body, self.path)
            if rewritten is not None:
                status, body = rewritten
                retry_after = backend_retry_after(body)
        headers = [(name, value) for name, value in start.get("headers") or [] if name.lower() != b"content-length"
                   and not (retry_after and name.lower() == b"retry-after")]
        headers.append((b"content-length", str(len(body)).encode()))
        if retry_after:
            headers.append((b"retry-after", retry_after.encode()))
        await self.send(_with_retry_after({**start, "status": status, "headers": headers}))
        await self.send({"type": "http.response.body", "body": body, "more_body": more_body})


def _with_retry_after(message: Message) -> Message:
    if message["status"] not in (429, 503):
        return message
    headers = list(message.get("headers") or [])
    if not any(name.lower() == b"retry-after" for name, _ in headers):
        headers.append((b"retry-after", b"1"))
    return {**message, "headers": headers}


def envelope(status: int, body: bytes, path: str) -> tuple[int, bytes] | None:
    """The OpenAI error envelope for an error body, or None to leave it as it is."""
    try:
        payload = json.loads(body)
    except ValueError:
        return None
    if not isinstance(payload, dict):
        return None
    error = payload.get("error")
    if isinstance(error, dict):
        fields = dict(error)
    else:
        detail = payload.get("detail", error if isinstance(error, str) else None)
        if isinstance(detail, dict) and isinstance(detail.get("error"), (str, dict)):
            detail = detail["error"]
        fields = {"message": detail if isinstance(detail, str) else json.dumps(detail)}
    message = str(fields.get("message") or "")
    if "No connected db" in message or (status == 400 and "Authentication Error" in message):
        status, fields["message"] = 401, _auth_message(message)
        fields["type"] = "authentication_error"
    if "Rejected Request" in message and status in (400, 401, 403):  # LiteLLM's own client-credential check
        status, fields["type"], fields["message"] = 400, "invalid_request_error", message.replace(
            "Authentication Error, ", "")
    if status == 500 and ("UNAVAILABLE" in message or "ServiceUnavailable" in message):  # backend 503, kept as 503
        status, fields["type"] = 503, "api_error"
    if status == 500 and "Enterprise feature" in message:  # a licence refusal (e.g. key regeneration), not a fault
        status, fields["type"], fields["code"] = 403, "invalid_request_error", "enterprise_feature"
    if status == 404 and path.startswith(("/v1/models/", "/models/")):
        fields["code"] = "model_not_found"
    if status == 404 and message in ("Not Found", ""):
        fields["message"] = f"{path} is not a route of this gateway."
    if status == 429:  # one type for every rate limit (LiteLLM's own say "throttling_error")
        fields["type"] = RATE_LIMIT_FIELDS["type"]
        if fields.get("code") in (None, "None", "429", 429):
            fields["code"] = RATE_LIMIT_FIELDS["code"]
    if fields.get("param") in ("None", ""):
        fields["param"] = None
    if status < 500 and fields.get("type") == "internal_server_error":  # LiteLLM's label on some 4xx
        fields["type"] = "invalid_request_error"
    fields.setdefault("type", "invalid_request_error" if status < 500 else "api_error")
    fields.setdefault("param", None)
    if fields.get("code") in (None, "None"):
        fields["code"] = str(status)
    return status, json.dumps({**{k: v for k, v in payload.items() if k not in ("detail", "error")},
                               "error": fields}).encode()
