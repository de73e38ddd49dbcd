"""The LiteLLM callback that applies the gateway's policy to every model call and reports where it went.

LiteLLM only calls hook methods defined on the registered class itself, so every hook the
gateway relies on is defined here, each delegating to a module named for what it does:

- `async_pre_call_hook`: the policy, per call type (chat, Responses, embeddings); any other call
  type is refused, so a route opened by mistake still cannot reach a model unrouted;
- `async_filter_deployments`: strict requests only ever see local deployments (retries, fallbacks);
- `async_pre_call_deployment_hook`: the last step before every provider call, whatever its route.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from litellm.constants import RETURN_RAW_MODEL_NAME_METADATA_KEY
from litellm.integrations.custom_logger import CustomLogger
from litellm.litellm_core_utils.prompt_templates.factory import THOUGHT_SIGNATURE_SEPARATOR
from litellm.proxy._types import UserAPIKeyAuth
from litellm.types.utils import CallTypes

from plugins.attachments.file_api import file_api
from plugins.pipeline import key_scope, plan_request
from plugins.platform.audit import write_audit
from plugins.platform.errors import (
    GatewayError,
    invalid_input,
    local_failure,
    stream_failure,
    tidy_provider_message,
)
from plugins.platform.metrics import record_route
from plugins.platform.settings import full_config
from plugins.policy.cache_scope import GATEWAY_NAMESPACE, cache_namespace
from plugins.policy.parameters import check_embedding_parameters
from plugins.policy.privacy_guard import (
    ROUTE_KEY,
    cloud_body_refusal,
    guard_provider_call,
    keep_local_deployments,
    refuse_provider_settings,
    route_of,
)
from plugins.policy.redaction import StreamRestorer, Vault, forget, vault_of
from plugins.policy.routing import embedding_dimensions, embedding_groups
from plugins.surfaces.local_calls import is_local_call
from plugins.surfaces.progress import gateway_work_done

CHAT_CALL_TYPES = ("completion", "acompletion")
RESPONSES_CALL_TYPES = ("responses", "aresponses")
EMBEDDING_CALL_TYPES = ("embedding", "aembedding")


def request_headers(data: dict[str, Any]) -> dict[str, str]:
    request = data.get("proxy_server_request") or {}
    return dict(request.get("headers") or {})


def client_body(data: dict[str, Any]) -> dict[str, Any]:
    """The body as the client sent it (LiteLLM keeps a copy), else the request data itself."""
    body = (data.get("proxy_server_request") or {}).get("body")
    return body if isinstance(body, dict) else data


def request_query(data: dict[str, Any]) -> dict[str, str]:
    """The request's query-string parameters (one more carrier of task and privacy_mode)."""
    url = str((data.get("proxy_server_request") or {}).get("url") or "")
    return {name: values[-1] for name, values in parse_qs(urlsplit(url).query).items()}


def served_group(response: Any, route: dict[str, Any]) -> str:
    """The model group that actually answered: a same-class fallback may have served the request."""
    hidden = getattr(response, "_hidden_params", None) or {}
    return (hidden.get("additional_headers") or {}).get("x-litellm-model-group") or route["group"]


def embedding_route(data: dict[str, Any]) -> dict[str, Any]:
    """Embeddings are served by the in-process models only: another group is a 400, a name that is no
    group at all a 404 `model_not_found`, as on chat."""
    groups = embedding_groups()
    model = data.get("model")
    if model not in groups:
        known = {deployment.get("model_name") for deployment in full_config().get("model_list") or []}
        if model in known:
            raise GatewayError(400, f"Model {model!r} is not an embedding model; use one of {', '.join(groups)}.",
                               param="model")
        raise GatewayError(404, f"The model {model!r} does not exist on this gateway: embedding models are "
                           f"{', '.join(groups)}.", param="model", code="model_not_found")
    check_embedding_parameters(client_body(data), embedding_dimensions(model))
    return {"task": "embedding", "privacy": "strict", "group": model, "rule": f"model:{model}",
            "surface": "embeddings", "requested_privacy": "strict", "escalated": "", "sensitive": [],
            "attachments": "", "attachment_log": []}


class GatewayHook(CustomLogger):
    """The policy for every call type, the strict-stays-local filters, and where-it-went headers."""

    async def async_pre_call_hook(
        self, user_api_key_dict: UserAPIKeyAuth, cache: Any, data: dict, call_type: str
    ) -> dict:
        if is_local_call(data):  # a route the gateway serves itself ran LiteLLM's pre-call checks
            return data
        sent = client_body(data)
        refuse_provider_settings(sent)
        scope = key_scope(user_api_key_dict)
        if call_type in CHAT_CALL_TYPES:
            keep_thought_signatures(data, sent)
        if call_type in CHAT_CALL_TYPES or call_type in RESPONSES_CALL_TYPES:
            surface = "chat" if call_type in CHAT_CALL_TYPES else "responses"
            route = await plan_request(data, request_headers(data), scope, user_api_key_dict, surface=surface,
                                       sent=sent, query=request_query(data))
        elif call_type in EMBEDDING_CALL_TYPES:
            route = embedding_route(data)
        else:
            raise GatewayError(404, f"This gateway does not serve {call_type} requests; it would reach a model "
                               "without the gateway's privacy policy (docs/PRIVACY.md).", code="route_not_served")
        record_route(route)
        gateway_work_done()  # a slow stream from here on is the model's: it keeps its own status
        data["model"] = route["group"]
        for name in ("task", "privacy_mode"):  # read by the policy (embeddings take no task/privacy)
            data.pop(name, None)
        metadata_key = "litellm_metadata" if surface_uses_litellm_metadata(call_type, data) else "metadata"
        metadata = data.setdefault(metadata_key, {})
        metadata[ROUTE_KEY] = route
        if metadata_key != "metadata" and isinstance(data.get("metadata"), dict):
            data["metadata"][ROUTE_KEY] = route
        pin_cache_namespace(data, metadata, scope)
        # Keep the model name we stamp (the group used) instead of LiteLLM's echo of the client's "auto".
        metadata[RETURN_RAW_MODEL_NAME_METADATA_KEY] = True
        metadata["tags"] = [*(metadata.get("tags") or []), f"task:{route['task']}", f"privacy:{route['privacy']}"]
        return data

    async def async_filter_deployments(
        self, model: str, healthy_deployments: list, messages: Any, request_kwargs: dict | None = None,
        parent_otel_span: Any = None,
    ) -> list:
        return keep_local_deployments(route_of(request_kwargs), healthy_deployments)

    async def async_pre_call_deployment_hook(self, kwargs: dict[str, Any], call_type: CallTypes | None) -> dict | None:
        guard_provider_call(kwargs, call_type)
        return None

    async def async_post_call_success_hook(self, data: dict, user_api_key_dict: UserAPIKeyAuth, response: Any) -> Any:
        route = route_of(data)
        if route and route.get("surface") != "embeddings" and hasattr(response, "model"):
            response.model = served_group(response, route)
        vault = vault_of(route)
        if vault is not None:
            restore_response(response, vault)
            forget(route)
        return response

    async def async_post_call_streaming_iterator_hook(
        self, user_api_key_dict: UserAPIKeyAuth, response: Any, request_data: dict
    ) -> Any:
        route = route_of(request_data)
        vault = vault_of(route)
        restorers: dict[Any, StreamRestorer] = {}
        try:
            async for chunk in response:
                if route and hasattr(chunk, "model") and isinstance(getattr(chunk, "model", None), str):
                    chunk.model = served_group(response, route)
                if vault is not None:
                    restore_chunk(chunk, vault, restorers)
                yield chunk
        except Exception as error:
            raise stream_failure(error) from error
        finally:
            forget(route)

    async def async_log_success_event(self, kwargs: dict, response_obj: Any, start_time: Any, end_time: Any) -> None:
        route = route_of(kwargs.get("litellm_params"))
        write_audit(kwargs, route, response_obj, start_time, end_time)
        await file_api().delete_request_uploads(route)

    async def async_log_failure_event(self, kwargs: dict, response_obj: Any, start_time: Any, end_time: Any) -> None:
        route = route_of(kwargs.get("litellm_params"))
        forget(route)
        write_audit(kwargs, route, response_obj, start_time, end_time, kwargs.get("exception") or "error")
        await file_api().delete_request_uploads(route)

    async def async_post_call_failure_hook(
        self, request_data: dict, original_exception: Exception, user_api_key_dict: UserAPIKeyAuth,
        traceback_str: str | None = None,
    ) -> Any:
        forget(route_of(request_data))
        tidy_provider_message(original_exception)
        mapped = cloud_body_refusal(original_exception) or local_failure(route_of(request_data), original_exception) \
            or invalid_input(original_exception)
        return mapped.as_http_exception() if mapped else None

    async def async_post_call_response_headers_hook(
        self, data: dict, user_api_key_dict: UserAPIKeyAuth | None, response: Any,
        request_headers: dict | None = None, litellm_call_info: dict | None = None,
    ) -> dict[str, str] | None:
        route = route_of(data)
        if not route or route.get("surface") == "embeddings":
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
            **({"x-gateway-redacted": route["redacted"]} if route.get("redacted") else {}),
            **({"x-gateway-redacted-audio": str(route["redacted_audio"])} if route.get("redacted_audio") else {}),
        }


def pin_cache_namespace(data: dict[str, Any], metadata: dict[str, Any], scope: str) -> None:
    """Opt-in response cache entries are per key (plugins.policy.cache_scope): a client's `cache.namespace`,
    `preset_cache_key` and `metadata.redis_namespace` are dropped; only the per-key namespace is left."""
    cache = data.get("cache")
    if cache is not None and not isinstance(cache, dict):
        raise GatewayError(400, "'cache' must be an object such as {\"use-cache\": true}.", param="cache")
    if isinstance(cache, dict):
        cache.pop("namespace", None)
    data.pop("preset_cache_key", None)
    namespace = cache_namespace(scope)
    for holder in (data.get("metadata"), data.get("litellm_metadata")):
        if isinstance(holder, dict):  # a client's own metadata (Responses) never names a namespace
            holder.pop("redis_namespace", None)
            holder.pop(GATEWAY_NAMESPACE, None)
    metadata[GATEWAY_NAMESPACE] = metadata["redis_namespace"] = namespace


def keep_thought_signatures(data: dict[str, Any], sent: dict[str, Any]) -> None:
    """Gemini signs its function calls; LiteLLM hands the signature to clients inside the tool-call id and
    strips it from replayed ids when the requested model name does not say "gemini" (a group, "auto"),
    before the gateway has picked the group. Put it back where LiteLLM's Gemini request reads it."""
    messages, original = data.get("messages"), sent.get("messages")
    if not isinstance(messages, list) or not isinstance(original, list) or len(messages) != len(original):
        return
    for message, as_sent in zip(messages, original, strict=True):
        if not isinstance(message, dict) or not isinstance(as_sent, dict):
            continue
        for call, sent_call in zip(message.get("tool_calls") or [], as_sent.get("tool_calls") or [], strict=False):
            sent_id = sent_call.get("id") if isinstance(sent_call, dict) else None
            if isinstance(call, dict) and isinstance(sent_id, str) and THOUGHT_SIGNATURE_SEPARATOR in sent_id:
                fields = call.get("provider_specific_fields")
                call["provider_specific_fields"] = fields = fields if isinstance(fields, dict) else {}
                fields.setdefault("thought_signature", sent_id.split(THOUGHT_SIGNATURE_SEPARATOR, 1)[1])


def restore_response(response: Any, vault: Vault) -> None:
    """Put the values back where the model echoed their placeholders (chat choices, Responses output)."""
    for choice in getattr(response, "choices", None) or []:
        message = getattr(choice, "message", None)
        if message is not None and isinstance(message.content, str):
            message.content = vault.restore(message.content)
        for call in getattr(message, "tool_calls", None) or []:
            call.function.arguments = vault.restore(call.function.arguments or "")
    for item in getattr(response, "output", None) or []:
        for part in getattr(item, "content", None) or []:
            if isinstance(getattr(part, "text", None), str):
                part.text = vault.restore(part.text)
        if isinstance(getattr(item, "arguments", None), str):
            item.arguments = vault.restore(item.arguments)


def restore_chunk(chunk: Any, vault: Vault, restorers: dict[Any, StreamRestorer]) -> None:
    """Restore a streamed chunk's text, holding back a placeholder cut between chunks: chat chunks
    (choices[].delta) and Responses events (output text and function-call argument deltas)."""
    kind = getattr(chunk, "type", None)
    kind = str(getattr(kind, "value", kind) or "")  # LiteLLM's Responses events carry an enum
    if kind.startswith("response."):
        restore_event(chunk, kind, vault, restorers)
        return
    for choice in getattr(chunk, "choices", None) or []:
        restorer = restorers.setdefault(getattr(choice, "index", 0), StreamRestorer(vault))
        delta = getattr(choice, "delta", None)
        if delta is None:
            continue
        text = restorer.feed(delta.content) if isinstance(delta.content, str) else ""
        if getattr(choice, "finish_reason", None):
            text += restorer.flush()
        if isinstance(delta.content, str) or text:
            delta.content = text
        for call in getattr(delta, "tool_calls", None) or []:
            function = getattr(call, "function", None)
            if function is not None and isinstance(function.arguments, str):
                function.arguments = vault.restore(function.arguments)


def restore_event(event: Any, kind: str, vault: Vault, restorers: dict[Any, StreamRestorer]) -> None:
    """One Responses streaming event: deltas through a per-part restorer, `done` events and the final
    response whole."""
    where = (kind.rsplit(".", 1)[0], getattr(event, "output_index", 0), getattr(event, "content_index", 0))
    if kind.endswith(".delta") and isinstance(getattr(event, "delta", None), str):
        event.delta = restorers.setdefault(where, StreamRestorer(vault)).feed(event.delta)
    elif kind.endswith(".done"):
        restorers.pop(where, None)  # a `done` event carries the whole text
        for name in ("text", "arguments"):
            if isinstance(getattr(event, name, None), str):
                setattr(event, name, vault.restore(getattr(event, name)))
        item = getattr(event, "item", None)
        if item is not None:
            restore_response(type("Output", (), {"output": [item]})(), vault)
    if getattr(event, "response", None) is not None:
        restore_response(event.response, vault)


def surface_uses_litellm_metadata(call_type: str, data: dict[str, Any]) -> bool:
    """LiteLLM carries a Responses request's proxy metadata in `litellm_metadata` when the client sent its
    own `metadata` (which OpenAI forwards to the provider); chat and embeddings use `metadata`."""
    return call_type in RESPONSES_CALL_TYPES and "litellm_metadata" in data
