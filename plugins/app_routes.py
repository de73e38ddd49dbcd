"""Routes the gateway adds to LiteLLM's FastAPI app.

They are inserted at the front of the route table so that they win over LiteLLM's own
routes of the same path (e.g. its authenticated `/health`).
"""

from __future__ import annotations

from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from plugins.embedding_routes import embedding_routes
from plugins.explain import explain_route
from plugins.health import backend_health
from plugins.multipart import MultipartChatRoute
from plugins.settings import gateway_settings

MULTIPART_CHAT_PATHS = ("/v1/chat/completions", "/chat/completions")

CHAT_BODY_SCHEMA = {
    "type": "object",
    "required": ["messages"],
    "properties": {
        "model": {"type": "string", "description": "'auto' or a model group"},
        "task": {"type": "string", "enum": ["chat", "vision", "ocr"]},
        "privacy_mode": {"type": "string", "enum": ["strict", "flexible"]},
        "messages": {"type": "array", "items": {"type": "object", "required": ["role", "content"], "properties": {
            "role": {"type": "string", "enum": ["system", "user", "assistant"]},
            "content": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "object"}}]}}}},
    },
}
EXPLAIN_OPENAPI = {"requestBody": {"required": True, "content": {"application/json": {"schema": CHAT_BODY_SCHEMA}}}}

CLOUD_PASSTHROUGH_PATHS = ("/gemini/{path:path}", "/vertex_ai/{path:path}")


async def cloud_passthrough_blocked() -> JSONResponse:
    """LiteLLM's raw pass-through to Google would carry requests past task/privacy routing."""
    message = ("Pass-through to cloud providers is disabled on this gateway: send chat requests to "
               "/v1/chat/completions with privacy_mode=flexible (gateway.routing.block_cloud_passthrough).")
    return JSONResponse({"error": {"message": message, "type": "permission_error", "code": "403"}}, status_code=403)


_installed = False


def install_gateway_routes() -> None:
    """Put the gateway's routes ahead of LiteLLM's, once per process."""
    global _installed
    if _installed:
        return
    from litellm.proxy.proxy_server import app

    routes = [
        *(MultipartChatRoute(path) for path in MULTIPART_CHAT_PATHS),
        APIRoute("/health", backend_health, methods=["GET"], tags=["gateway"], summary="Backend reachability"),
        APIRoute("/v1/route/explain", explain_route, methods=["POST"], tags=["gateway"],
                 summary="Dry-run: where a chat request would go, without calling a model",
                 openapi_extra=EXPLAIN_OPENAPI),
        *embedding_routes(),
    ]
    if gateway_settings("routing").get("block_cloud_passthrough", True):
        routes += [APIRoute(path, cloud_passthrough_blocked, methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                            include_in_schema=False) for path in CLOUD_PASSTHROUGH_PATHS]
    app.router.routes[:0] = routes
    app.openapi_schema = None
    _installed = True
