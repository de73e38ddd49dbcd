"""The gateway's errors: one type that carries its HTTP status and OpenAI error fields, and the
mapping of backend failures to errors a user can act on (as the seed's troubleshooting section does)."""

from __future__ import annotations

import ast
import json
import math
import re
from typing import Any

from fastapi import HTTPException
from litellm.proxy._types import ProxyException
from starlette.responses import JSONResponse

NOT_PULLED = re.compile(r'model ["\\]*"?([^"\\]+)["\\]*"? not found', re.IGNORECASE)
UNREACHABLE = ("Cannot connect", "Connection refused", "Connect call failed", "ConnectError", "nodename nor servname")
ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
               404: "invalid_request_error", 413: "invalid_request_error", 415: "invalid_request_error",
               422: "invalid_request_error", 429: "rate_limit_error"}
# Every 429, whoever raised it (LiteLLM's rate limits say "throttling_error"), reads as OpenAI's clients
# expect: type rate_limit_error, code rate_limit_exceeded (OpenAI's code; clients branch on it).
RATE_LIMIT_FIELDS = {"type": "rate_limit_error", "code": "rate_limit_exceeded"}


class GatewayError(ProxyException):
    """An error with its status, OpenAI error type, `param` and `code`.

    A LiteLLM ProxyException, so LiteLLM answers it (raised in a hook or a route) in the OpenAI
    envelope with its status; ASGI-level code answers it with `response()`."""

    def __init__(self, status: int, message: str, param: str | None = None, error_type: str | None = None,
                 code: str | None = None, headers: dict[str, str] | None = None) -> None:
        kind = error_type or ERROR_TYPES.get(status, "api_error" if status >= 500 else "invalid_request_error")
        default_code = RATE_LIMIT_FIELDS["code"] if status == 429 else str(status)
        super().__init__(message=message, type=kind, param=param, code=status, headers=headers,
                         openai_code=code or default_code)
        self.status_code = status

    @property
    def detail(self) -> str:
        return self.message

    def to_dict(self) -> dict:
        return {"message": self.message, "type": self.type, "param": self.param, "code": self.openai_code}

    def body(self) -> dict[str, Any]:
        return {"error": self.to_dict()}

    def as_http_exception(self) -> HTTPException:
        """The form LiteLLM takes from a post-call failure hook."""
        return HTTPException(status_code=self.status_code, detail=self.message, headers=self.headers or None)

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status_code, headers=self.headers)


def error_response(status: int, message: str, param: str | None = None, headers: dict | None = None) -> JSONResponse:
    """An error in the OpenAI envelope."""
    return GatewayError(status, message, param=param, headers=headers).response()


def local_failure(route: dict[str, Any] | None, error: Exception) -> GatewayError | None:
    """A clear 404/503/502 for strict requests that Ollama could not serve (never a bare 500); None to keep
    LiteLLM's error (a 4xx Ollama gave for the request itself)."""
    if not route or route.get("privacy") != "strict":
        return None
    message = str(getattr(error, "message", "") or error)
    missing = NOT_PULLED.search(message)
    if missing or getattr(error, "status_code", None) == 404:
        model = missing.group(1) if missing else route["group"]
        return GatewayError(
            404, f"Model '{model}' is not available in Ollama (group {route['group']}). Pull it: ollama pull {model}"
        )
    if any(marker in message for marker in UNREACHABLE):
        return GatewayError(
            503, f"Ollama is not reachable for {route['group']}: start it (ollama serve) and check OLLAMA_API_BASE. "
            "Strict requests are never sent to a cloud model instead."
        )
    status = getattr(error, "status_code", None)
    if route.get("surface") == "embeddings" or status in (502, 503, 504):
        return None  # the in-process models and a busy backend say what they are themselves
    if not isinstance(status, int) or status >= 500:
        return GatewayError(
            502, f"The local model backend (Ollama) failed for {route['group']}: {message[:300]} Strict requests are "
            "never sent to a cloud model instead.", error_type="api_error", code="local_backend_error"
        )
    return None


OLLAMA_ERROR_LINE = re.compile(r"Got unexpected response from Ollama: (\{.*\})", re.DOTALL)


def stream_failure(error: Exception) -> Exception:
    """A backend failure after a stream's 200, as the error event LiteLLM then sends. Ollama reports a
    failing runner as an `{"error": ...}` line; LiteLLM reads it as a chunk and raises a KeyError labelled
    400. The event says what Ollama said, as a 500. Other errors pass unchanged."""
    found = OLLAMA_ERROR_LINE.search(str(getattr(error, "message", "") or error))
    try:
        line = ast.literal_eval(found.group(1)) if found else None
    except (ValueError, SyntaxError):
        line = None
    if not isinstance(line, dict) or "error" not in line:
        return error
    return GatewayError(500, f"Ollama failed while streaming the reply: {line['error']}", code="backend_error")


PROVIDER_BODY = re.compile(r"""b(['"])(\{.*\})\1|(\{.*\})""", re.DOTALL)
ROUTER_ADVICE = "\n\nLiteLLM: model group"


def _provider_error(text: str) -> Any:
    """The `error` of a provider's JSON error body inside LiteLLM's message (raw, or as a bytes repr)."""
    found = PROVIDER_BODY.search(text)
    try:
        raw = ast.literal_eval(found.group(0)) if found and found.group(2) else found.group(3) if found else None
        body = json.loads(raw) if raw else None
    except (ValueError, SyntaxError):
        return None
    return body.get("error") if isinstance(body, dict) else None


RETRY_DELAY = re.compile(r'retryDelay\\?"?\s*:\s*\\?"(\d+(?:\.\d+)?)s')


def backend_retry_after(body: bytes) -> str | None:
    """The backend's own wait (Gemini's RetryInfo `retryDelay`) in an error, as Retry-After seconds."""
    found = RETRY_DELAY.search(body.decode(errors="replace"))
    return str(math.ceil(float(found.group(1)))) if found else None


def tidy_provider_message(error: Exception) -> None:
    """Say what the backend said, the way a client can read it. LiteLLM wraps a provider's error body in
    its own prefixes (a streamed one as a Python bytes repr, b'{"error": ...}') and appends advice about the
    proxy's fallback config, which names other model groups. Rewrites the exception's `message`, which
    LiteLLM sends to the client."""
    message = getattr(error, "message", None)
    if not isinstance(message, str):
        return
    tidy = message.split(ROUTER_ADVICE, 1)[0]
    inner = _provider_error(tidy)
    if isinstance(inner, dict) and inner.get("message"):  # Google's envelope
        tidy = f"Gemini: {inner['message']}" + (f" ({inner['status']})" if inner.get("status") else "")
        wait = backend_retry_after(message.encode())
        if wait is not None:  # LiteLLM answers with the exception's headers: Retry-After is Google's own wait
            tidy += f"; retry after {wait} s"
            error.headers = {**(getattr(error, "headers", None) or {}), "retry-after": wait}  # type: ignore
    elif isinstance(inner, str) and inner:  # Ollama's {"error": "..."}
        tidy = f"Ollama: {inner}"
    error.message = tidy  # type: ignore[attr-defined]


INVALID_INPUT_MARKERS = ("Invalid Message passed in", "Invalid user message", "Invalid content type",
                         "Invalid message", "Unsupported content type")


def invalid_input(error: Exception) -> GatewayError | None:
    """LiteLLM's own validation failures (raised as 500s) are the client's mistake: 400."""
    message = str(getattr(error, "message", "") or error)
    if getattr(error, "status_code", 500) >= 500 and any(marker in message for marker in INVALID_INPUT_MARKERS):
        return GatewayError(400, message.split("\n")[0][:500], param="messages")
    return None
