"""Responses `background: true`: answer at once, do the work afterwards, let the key that asked poll it.

OpenAI's pattern for long jobs: `POST /v1/responses` with `background: true` answers at once with a
Response object in status `queued`; the client polls `GET /v1/responses/{id}` until the status is
`completed`, `failed`, `incomplete` or `cancelled`, and may `POST /v1/responses/{id}/cancel` or
`DELETE /v1/responses/{id}`.

The job is the very request, without `background`, sent through the request guard and LiteLLM's
route a moment later: the same key check, budgets, policy, scan, escalation and last-step guard, so
nothing about privacy differs from a foreground call. What it answers (the Response object, or its
error in OpenAI's envelope as the Response's `error`) is kept for `gateway.background.ttl_s` with the
`x-gateway-*` headers, under a record that names its key (a hash of it): to any other key the id does
not exist (404), for reading, cancelling and deleting alike.

State is in Redis when the gateway has one (docs/SCALING.md): any replica answers a poll, and a cancel
reaches the replica running the job within `check_s`. A job whose replica stopped is reported `failed`
(`job_lost`) once its heartbeat is gone. Without Redis the state is this replica's memory: right for
one replica; behind a balancer a poll that lands on another replica is a 404.

LiteLLM's own `responses.background_mode.polling_via_cache` is not used: it runs the pre-call hook (the
scan, minutes for a long recording) before answering the create call, and its poll, cancel and delete
of an id do not check which key created it.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
import time
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from litellm.proxy._types import UserAPIKeyAuth
from litellm.proxy.auth.user_api_key_auth import user_api_key_auth
from starlette.types import ASGIApp, Message, Scope, Send

from plugins.platform.errors import GatewayError
from plugins.platform.settings import gateway_settings
from plugins.platform.shared_redis import SharedRecords, key_prefix
from plugins.surfaces.asgi_body import replay_body

ACTIVE = ("queued", "in_progress")
RESPONSE_PATHS = ("/v1/responses/{response_id}", "/responses/{response_id}", "/openai/v1/responses/{response_id}")
RUNNING: dict[str, asyncio.Task] = {}  # this replica's jobs, by response id
CALLS: dict[str, asyncio.Task] = {}  # the request each running job is making


_STORE: list[SharedRecords] = []


def store() -> SharedRecords:
    if not _STORE:
        _STORE.append(SharedRecords("background Responses store"))
    return _STORE[0]


def settings() -> dict[str, Any]:
    return gateway_settings("background")


def record_name(response_id: str) -> str:
    return f"{key_prefix()}background:{response_id}"


def alive_name(response_id: str) -> str:
    return f"{key_prefix()}background:{response_id}:alive"


def owner_of(key: Any) -> str:
    """Which key a record belongs to, without keeping the key: a hash of LiteLLM's hashed token."""
    token = getattr(key, "api_key", None) or getattr(key, "token", None)
    if not token:  # never one shared owner for requests without a key
        raise GatewayError(401, "Background responses need a key: send it as 'Authorization: Bearer <key>'.",
                           error_type="authentication_error")
    return hashlib.sha256(f"gateway-background:{token}".encode()).hexdigest()[:32]


async def load(response_id: str) -> dict[str, Any] | None:
    raw = await store().get(record_name(response_id))
    return json.loads(raw) if raw else None


async def save(response_id: str, record: dict[str, Any]) -> None:
    await store().put(record_name(response_id), json.dumps(record), float(settings()["ttl_s"]))


async def heartbeat(response_id: str) -> None:
    await store().put(alive_name(response_id), "1", 3 * float(settings()["check_s"]) + 10)


def queued_response(response_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """The Response object a background create answers with, as OpenAI's (status `queued`)."""
    return {"id": response_id, "object": "response", "created_at": int(time.time()), "status": "queued",
            "background": True, "model": body.get("model"), "output": [], "error": None,
            "incomplete_details": None, "instructions": body.get("instructions"),
            "metadata": body.get("metadata") or {}, "tools": body.get("tools") or [],
            "tool_choice": body.get("tool_choice", "auto"),
            "parallel_tool_calls": body.get("parallel_tool_calls", True),
            "temperature": body.get("temperature"), "top_p": body.get("top_p"),
            "max_output_tokens": body.get("max_output_tokens"), "usage": None}


def refuse_unservable(body: dict[str, Any]) -> None:
    if not settings()["enabled"]:
        raise GatewayError(400, "Background responses are off on this gateway (gateway.background.enabled).",
                           param="background")
    if body.get("stream") is True:
        raise GatewayError(400, "background with stream is not served: create the response, then poll "
                           "GET /v1/responses/{id}.", param="stream")
    if body.get("store") is False:
        raise GatewayError(400, "A background response is kept until it is read (gateway.background.ttl_s): "
                           "store=false cannot be honoured.", param="store")
    if len(RUNNING) >= int(settings()["max_running"]):
        raise GatewayError(429, "Too many background responses are running on this replica "
                           "(gateway.background.max_running); retry shortly.", headers={"retry-after": "5"})


async def start_background(app: ASGIApp, scope: Scope, body: dict[str, Any], send: Send) -> None:
    """Answer a `background: true` create with a queued Response and run the request as a job."""
    try:
        refuse_unservable(body)
        owner = owner_of(scope.get("gateway.key"))
    except GatewayError as error:
        await error.response()(scope, _never_disconnects, send)
        return
    response_id = f"resp_{secrets.token_hex(24)}"
    response = queued_response(response_id, body)
    await save(response_id, {"owner": owner, "response": response, "headers": {}})
    await heartbeat(response_id)
    payload = json.dumps({name: value for name, value in body.items() if name not in ("background", "store")})
    job = asyncio.create_task(run_job(app, job_scope(scope, payload.encode()), payload.encode(), response_id))
    RUNNING[response_id] = job
    job.add_done_callback(lambda _: RUNNING.pop(response_id, None))
    await JSONResponse(response)(scope, _never_disconnects, send)


def job_scope(scope: Scope, payload: bytes) -> Scope:
    """The create request's scope for its job: the same headers (the key), the body without `background`."""
    headers = [(name, value) for name, value in scope["headers"]
               if name.lower() not in (b"content-length", b"transfer-encoding")]
    return {**{name: value for name, value in scope.items() if not str(name).startswith("gateway.")},
            "headers": [*headers, (b"content-length", str(len(payload)).encode())], "state": {}}


async def _never_disconnects() -> Message:
    """The job's client is the store, which never goes away."""
    await asyncio.Event().wait()
    raise AssertionError("unreachable")


class Captured:
    """The `send` of a job: keeps its status, headers and body."""

    def __init__(self) -> None:
        self.status, self.body = 500, b""
        self.headers: dict[str, str] = {}

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = {name.decode(): value.decode() for name, value in message.get("headers") or []
                            if name.lower().startswith(b"x-gateway-")}
        elif message["type"] == "http.response.body":
            self.body += message.get("body", b"")

    def outcome(self, queued: dict[str, Any]) -> dict[str, Any]:
        """The Response to keep: the answer under the background id, or the queued one, failed, with the error."""
        try:
            answer = json.loads(self.body)
        except ValueError:
            answer = None
        if self.status == 200 and isinstance(answer, dict) and answer.get("object") == "response":
            return {**answer, "id": queued["id"], "background": True, "created_at": queued["created_at"]}
        error = answer.get("error") if isinstance(answer, dict) else None
        if not isinstance(error, dict):
            error = {"message": self.body.decode(errors="replace")[:1000] or f"HTTP {self.status}"}
        return {**queued, "status": "failed",
                "error": {"code": str(error.get("code") or self.status), "message": str(error.get("message")),
                          "type": error.get("type"), "param": error.get("param"), "status": self.status}}


async def run_job(app: ASGIApp, scope: Scope, payload: bytes, response_id: str) -> None:
    """Run the request; keep what it answered unless it was cancelled or deleted meanwhile."""
    if not await update(response_id, status="in_progress"):
        return
    captured = Captured()

    async def request() -> None:
        await app(scope, replay_body(payload, _never_disconnects), captured)

    call = CALLS[response_id] = asyncio.create_task(request())
    watcher = asyncio.create_task(watch(response_id, call))
    try:
        await call
    except asyncio.CancelledError:
        if not call.cancelled():
            raise
    except Exception as error:  # noqa: BLE001 - whatever broke, the poller is told
        captured.status, captured.body = 500, json.dumps({"error": {
            "message": f"The gateway failed running this response: {type(error).__name__}", "code": "500"}}).encode()
    finally:
        watcher.cancel()
        CALLS.pop(response_id, None)
        await store().delete(alive_name(response_id))
    record = await load(response_id)
    if record is None or record["response"].get("status") not in ACTIVE:
        return  # deleted or cancelled meanwhile: the client's word stands
    record["response"], record["headers"] = captured.outcome(record["response"]), captured.headers
    await save(response_id, record)


async def update(response_id: str, **fields: Any) -> bool:
    """Change a running record's response fields; False when it is gone or no longer running."""
    record = await load(response_id)
    if record is None or record["response"].get("status") not in ACTIVE:
        return False
    record["response"].update(fields)
    await save(response_id, record)
    return True


async def watch(response_id: str, call: asyncio.Task) -> None:
    """While the job runs: keep its heartbeat, and stop it when any replica cancelled or deleted it."""
    while not call.done():
        await heartbeat(response_id)
        await asyncio.sleep(float(settings()["check_s"]))
        record = await load(response_id)
        if record is None or record["response"].get("status") not in ACTIVE:
            call.cancel()
            return


async def owned(response_id: str, key: UserAPIKeyAuth) -> dict[str, Any]:
    """The record of a background response this key created; 404 for every other id, however it exists."""
    record = await load(response_id)
    if record is None or not secrets.compare_digest(record.get("owner", ""), owner_of(key)):
        raise GatewayError(404, f"No response with id '{response_id}' for this key: the gateway keeps background "
                           "responses only, for the key that created them, and stores nothing else (privacy policy, "
                           "docs/PRIVACY.md).", param="response_id", code="not_found")
    response = record["response"]
    if response.get("status") in ACTIVE and await store().get(alive_name(response_id), unknown="?") is None:
        response.update(status="failed", error={"code": "job_lost", "message": "The gateway replica running this "
                                                "response stopped before it finished; send the request again."})
    return record


def stop_local(response_id: str) -> None:
    call = CALLS.get(response_id)
    if call is not None:
        call.cancel()


Key = Annotated[UserAPIKeyAuth, Depends(user_api_key_auth)]


async def retrieve_response(response_id: str, request: Request, key: Key) -> JSONResponse:
    """GET /v1/responses/{id}: the background response as it stands."""
    if request.query_params.get("stream", "false").lower() in ("true", "1"):
        raise GatewayError(400, "Streaming a background response is not served: poll without stream.",
                           param="stream")
    record = await owned(response_id, key)
    return JSONResponse(record["response"], headers=record.get("headers") or {})


async def cancel_response(response_id: str, key: Key) -> JSONResponse:
    """POST /v1/responses/{id}/cancel: stop a queued or running job (on whichever replica runs it)."""
    record = await owned(response_id, key)
    if record["response"].get("status") in ACTIVE:
        record["response"]["status"] = "cancelled"
        await save(response_id, record)
        stop_local(response_id)
    return JSONResponse(record["response"], headers=record.get("headers") or {})


async def delete_response(response_id: str, key: Key) -> JSONResponse:
    """DELETE /v1/responses/{id}: forget it (a running job is stopped)."""
    await owned(response_id, key)
    await store().delete(record_name(response_id), alive_name(response_id))
    stop_local(response_id)
    return JSONResponse({"id": response_id, "object": "response.deleted", "deleted": True})


def background_routes() -> list[APIRoute]:
    return [
        *(APIRoute(path, retrieve_response, methods=["GET"], tags=["gateway"], summary="Poll a background response")
          for path in RESPONSE_PATHS),
        *(APIRoute(path, delete_response, methods=["DELETE"], tags=["gateway"], summary="Delete a background response")
          for path in RESPONSE_PATHS),
        *(APIRoute(f"{path}/cancel", cancel_response, methods=["POST"], tags=["gateway"],
                   summary="Cancel a background response") for path in RESPONSE_PATHS),
    ]


TENANT_PATHS = (*RESPONSE_PATHS, *(f"{path}/cancel" for path in RESPONSE_PATHS))
