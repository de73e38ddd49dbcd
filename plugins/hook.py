"""The LiteLLM callback that routes chat requests by task and privacy and reports where they went.

LiteLLM only calls hook methods defined on the registered class itself, so every hook the
gateway relies on is defined here, each delegating to a module named for what it does.
"""

from __future__ import annotations

import hashlib
from typing import Any

from litellm.constants import RETURN_RAW_MODEL_NAME_METADATA_KEY
from litellm.integrations.custom_logger import CustomLogger

from plugins.audit import write_audit
from plugins.errors import local_failure
from plugins.file_api import file_api
from plugins.pipeline import key_scope, plan_request
from plugins.privacy_guard import keep_local_deployments, reject_cross_class_fallbacks

CHAT_CALL_TYPES = ("completion", "acompletion")
ROUTE_KEY = "gateway_route"


def request_headers(data: dict[str, Any]) -> dict[str, str]:
    request = data.get("proxy_server_request") or {}
    return dict(request.get("headers") or {})


def route_of(data: dict[str, Any] | None) -> dict[str, str] | None:
    """The routing decision recorded on a request by the pre-call hook, if any."""
    for key in ("metadata", "litellm_metadata"):
        found = ((data or {}).get(key) or {}).get(ROUTE_KEY)
        if found:
            return found
    return None


def served_group(response: Any, route: dict[str, str]) -> str:
    """The model group that actually answered: a same-class fallback may have served the request."""
    hidden = getattr(response, "_hidden_params", None) or {}
    return (hidden.get("additional_headers") or {}).get("x-litellm-model-group") or route["group"]


class GatewayHook(CustomLogger):
    """Pre-call routing, strict-stays-local deployment filter, and where-it-went headers."""

    def __init__(self) -> None:
        super().__init__()
        reject_cross_class_fallbacks()
        from plugins.app_routes import install_gateway_routes

        install_gateway_routes()

    async def async_pre_call_hook(self, user_api_key_dict, cache, data: dict, call_type) -> dict:
        if call_type not in CHAT_CALL_TYPES:
            return data
        route = await plan_request(data, request_headers(data), key_scope(user_api_key_dict), user_api_key_dict)
        data["model"] = route["group"]
        metadata = data.setdefault("metadata", {})
        metadata[ROUTE_KEY] = route
        # Opt-in response cache entries are per key: one key never gets another key's answer.
        scope_hash = hashlib.sha256(key_scope(user_api_key_dict).encode()).hexdigest()[:16]
        metadata["redis_namespace"] = f"gateway:response:{scope_hash}"
        # Keep the model name we stamp (the group used) instead of LiteLLM's echo of the client's "auto".
        metadata[RETURN_RAW_MODEL_NAME_METADATA_KEY] = True
        metadata["tags"] = [*(metadata.get("tags") or []), f"task:{route['task']}", f"privacy:{route['privacy']}"]
        return data

    async def async_filter_deployments(
        self, model, healthy_deployments, messages, request_kwargs=None, parent_otel_span=None
    ) -> list:
        return keep_local_deployments(route_of(request_kwargs), healthy_deployments)

    async def async_post_call_success_hook(self, data: dict, user_api_key_dict, response) -> Any:
        route = route_of(data)
        if route and hasattr(response, "model"):
            response.model = served_group(response, route)
        return response

    async def async_post_call_streaming_iterator_hook(self, user_api_key_dict, response, request_data: dict):
        route = route_of(request_data)
        async for chunk in response:
            if route and hasattr(chunk, "model"):
                chunk.model = served_group(response, route)
            yield chunk

    async def async_log_success_event(self, kwargs, response_obj, start_time, end_time):
        route = route_of(kwargs.get("litellm_params"))
        write_audit(kwargs, route, response_obj, start_time, end_time)
        await file_api.delete_request_uploads(route)

    async def async_log_failure_event(self, kwargs, response_obj, start_time, end_time):
        route = route_of(kwargs.get("litellm_params"))
        write_audit(kwargs, route, response_obj, start_time, end_time, kwargs.get("exception") or "error")
        await file_api.delete_request_uploads(route)

    async def async_post_call_failure_hook(
        self, request_data: dict, original_exception: Exception, user_api_key_dict, traceback_str=None
    ):
        return local_failure(route_of(request_data), original_exception)

    async def async_post_call_response_headers_hook(
        self, data, user_api_key_dict, response, request_headers=None, litellm_call_info=None
    ) -> dict[str, str] | None:
        route = route_of(data)
        if not route:
            return None
        deployment = ((getattr(response, "_hidden_params", None) or {}).get("litellm_model_name")) or ""
        if not deployment and litellm_call_info:
            deployment = str((litellm_call_info.get("model_info") or {}).get("id") or "")
        return {
            "x-gateway-task": route["task"],
            "x-gateway-privacy": route["privacy"],
            "x-gateway-model": deployment or route["group"],
            "x-gateway-group": served_group(response, route),
            "x-gateway-attachments": route.get("attachments") or "none",
            **({"x-gateway-escalated": route["escalated"]} if route.get("escalated") else {}),
        }
