"""Routes the gateway adds to LiteLLM's FastAPI app.

They are inserted at the front of the route table so that they win over LiteLLM's own
routes of the same path (e.g. its authenticated `/health`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from litellm.proxy._types import LitellmUserRoles, UserAPIKeyAuth
from litellm.proxy.auth.user_api_key_auth import user_api_key_auth

from plugins.platform.errors import GatewayError
from plugins.platform.health import backend_health
from plugins.platform.settings import gateway_settings
from plugins.surfaces.audio_routes import audio_routes
from plugins.surfaces.background import TENANT_PATHS as BACKGROUND_PATHS
from plugins.surfaces.background import background_routes
from plugins.surfaces.embedding_routes import embedding_routes
from plugins.surfaces.explain import explain_route
from plugins.surfaces.multipart import MultipartChatRoute
from plugins.surfaces.route_table import SURFACES, RefusedSurfaces

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

# The gateway's own model routes, declared to LiteLLM as LLM API routes (as LiteLLM does for its
# pass-through routes): any key may call them, under the same model, budget and rate checks as
# /v1/chat/completions; without this LiteLLM answers ordinary keys 401 "Only proxy admin...".
TENANT_ROUTES = ("/v1/embeddings/text", "/v1/embeddings/image", "/v1/embeddings/audio", "/v1/embeddings/models",
                 "/v1/route/explain", "/v1/audio/transcriptions", "/v1/audio/translations",
                 "/v1/models/{model_id}", "/models/{model_id}", *BACKGROUND_PATHS)

CLOUD_PASSTHROUGH_PATHS = ("/gemini/{path:path}", "/vertex_ai/{path:path}")


async def cloud_passthrough_blocked() -> JSONResponse:
    """LiteLLM's raw pass-through to Google would carry requests past task/privacy routing."""
    return GatewayError(403, "Pass-through to cloud providers is disabled on this gateway: send chat requests to "
                        "/v1/chat/completions with privacy_mode=flexible (gateway.routing.block_cloud_passthrough).",
                        param="path", error_type="permission_error").response()


async def list_surfaces(key: Annotated[UserAPIKeyAuth, Depends(user_api_key_auth)]) -> dict:
    """How the gateway classified every route of the running app (admin keys only)."""
    if key.user_role != LitellmUserRoles.PROXY_ADMIN:
        raise GatewayError(403, "Only an admin key may list the gateway's surfaces.", error_type="permission_error")
    return SURFACES[0].table if SURFACES else {}


def install_gateway_routes(app: FastAPI) -> None:
    """Put the gateway's routes ahead of LiteLLM's and close every route that would reach a model
    without the gateway's policy (plugins.surfaces.route_table)."""
    routes = [
        *(MultipartChatRoute(path) for path in MULTIPART_CHAT_PATHS),
        APIRoute("/health", backend_health, methods=["GET"], tags=["gateway"], summary="Backend reachability"),
        APIRoute("/v1/route/explain", explain_route, methods=["POST"], tags=["gateway"],
                 summary="Dry-run: where a chat request would go, without calling a model",
                 openapi_extra=EXPLAIN_OPENAPI),
        *embedding_routes(),
        *audio_routes(),  # served by the local Whisper model; LiteLLM's other /v1/audio/* routes stay refused
        *background_routes(),  # poll, cancel, delete `background: true` Responses; other ids stay refused
        APIRoute("/v1/gateway/surfaces", list_surfaces, methods=["GET"], tags=["gateway"],
                 summary="How every route of this gateway is classified (admin)"),
    ]
    if gateway_settings("routing")["block_cloud_passthrough"]:
        routes += [APIRoute(path, cloud_passthrough_blocked, methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                            include_in_schema=False) for path in CLOUD_PASSTHROUGH_PATHS]
    from litellm.proxy._types import LiteLLMRoutes

    LiteLLMRoutes.openai_routes.value.extend(path for path in TENANT_ROUTES
                                             if path not in LiteLLMRoutes.openai_routes.value)
    refused = RefusedSurfaces(app.router.routes, routes, app)
    SURFACES[:] = [refused]
    app.router.routes[:0] = [*routes, refused]
    app.openapi_schema = None
    from plugins.attachments.transcription import start_transcription

    start_transcription()  # the Whisper model loads in its worker thread, like the embedding models
