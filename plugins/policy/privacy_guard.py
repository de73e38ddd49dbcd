"""Strict requests never reach a cloud provider: checks at start-up, per request, and per deployment.

The router-level filter is the last line: whatever path a strict request takes (retry, fallback,
error handling), LiteLLM asks us which deployments it may use, and only local ones survive.
"""

from __future__ import annotations

import re
from typing import Any

from plugins.platform.errors import GatewayError
from plugins.platform.metrics import record
from plugins.platform.settings import full_config, gateway_settings
from plugins.policy.routing import RouteDecision, embedding_groups, is_embedding_deployment, privacy_of_group

FALLBACK_SETTINGS = ("fallbacks", "context_window_fallbacks", "content_policy_fallbacks", "default_fallbacks")
# Body fields that would choose a provider, an endpoint or credentials for the call: never the client's.
PROVIDER_FIELDS = frozenset({
    "custom_llm_provider", "api_base", "base_url", "api_key", "api_version", "extra_headers", "headers",
    "organization", "azure_ad_token", "azure_ad_token_provider", "region_name", "project", "location",
    "litellm_credential_name", "litellm_params", "deployment_id", "model_list", "user_config", "mock_response",
    "mock_testing_fallbacks", "mock_tool_calls", "api_type", "timeout_override", "client",
})
PROVIDER_FIELD_PREFIXES = ("aws_", "vertex_", "azure_", "watsonx_", "bedrock_", "google_", "gemini_", "openai_")
# Routes record their decision here; the last-step guard reads it.
ROUTE_KEY = "gateway_route"


def provider_of(litellm_params: dict[str, Any]) -> str:
    return str(litellm_params.get("custom_llm_provider") or str(litellm_params.get("model", "")).split("/", 1)[0])


def local_providers() -> list[str]:
    return list(gateway_settings("routing")["local_providers"] or ["ollama", "ollama_chat"])


def is_local(deployment: dict[str, Any]) -> bool:
    return provider_of(deployment.get("litellm_params") or {}) in local_providers()


def refuse_provider_settings(body: dict[str, Any]) -> None:
    """400 for any field by which a client would pick the provider, endpoint or credentials of a call."""
    for name in body:
        if name in PROVIDER_FIELDS or (isinstance(name, str) and name.startswith(PROVIDER_FIELD_PREFIXES)):
            raise GatewayError(400, f"Field {name!r} is not accepted: the gateway decides which provider, endpoint "
                               "and credentials serve a request.", param=name)


def route_of(data: dict[str, Any] | None) -> dict[str, Any] | None:
    """The routing decision the gateway recorded on a request, if any."""
    for key in ("metadata", "litellm_metadata"):
        found = ((data or {}).get(key) or {}).get(ROUTE_KEY)
        if found:
            return found
    litellm_params = (data or {}).get("litellm_params")
    return route_of(litellm_params) if isinstance(litellm_params, dict) else None


def call_provider(kwargs: dict[str, Any]) -> str:
    """The provider LiteLLM is about to call for these kwargs."""
    provider = kwargs.get("custom_llm_provider")
    if provider:
        return str(provider)
    try:
        import litellm

        return str(litellm.get_llm_provider(model=str(kwargs.get("model") or ""), api_base=kwargs.get("api_base"))[1])
    except Exception:
        return "unknown"


def guard_provider_call(kwargs: dict[str, Any], call_type: Any) -> None:
    """The last step before any provider call, whatever route it came from: a non-local provider is
    called only when the gateway's policy recorded a flexible decision for this very request."""
    provider = call_provider(kwargs)
    if provider in local_providers():
        return
    route = route_of(kwargs)
    if route and route.get("privacy") == "flexible":
        return
    if route and route.get("surface") == "embeddings" and route.get("group") in embedding_groups():
        return  # an embedding host of ours (start-up checked every embedding group is self-hosted)
    record("cloud_blocked", str(getattr(call_type, "value", call_type) or "unknown"))
    raise GatewayError(403, f"Refused: a call to the cloud provider {provider!r} without a flexible routing "
                       "decision for this request. Strict and unrouted requests never leave this machine.",
                       error_type="permission_error", code="cloud_call_refused")


def _needs_body_check(litellm_params: dict[str, Any] | None) -> bool:
    route = route_of(litellm_params) or {}
    return not (route.get("privacy") == "flexible" and not route.get("scanned", True))


CLOUD_BODY_REFUSED = "Refused: the request LiteLLM built for the cloud provider holds data"


def _cloud_body_error(found: str) -> GatewayError:
    return GatewayError(403, f"{CLOUD_BODY_REFUSED} the gateway's scan did not account for ({found}). Nothing "
                        "was sent.", error_type="permission_error", code="sensitive_data_blocked")


def _refuse_cloud_body(found: list[str], litellm_params: dict[str, Any] | None) -> None:
    if found:
        record("cloud_blocked", str((route_of(litellm_params) or {}).get("surface") or "unknown"))
        raise _cloud_body_error(", ".join(found))


def cloud_body_refusal(error: Exception) -> GatewayError | None:
    """The last step's 403 as it was raised, without the provider-error wrapping LiteLLM puts around it."""
    message = str(getattr(error, "message", "") or error)
    if CLOUD_BODY_REFUSED not in message:
        return None
    found = re.search(r"did not account for \(([^)]*)\)", message)
    return _cloud_body_error(found.group(1) if found else "sensitive data")


def _deadline(litellm_params: dict[str, Any] | None) -> float:
    """What is left of the request's scan deadline (at least a second, for the body LiteLLM rebuilt); a
    request the pipeline did not plan gets a whole `scan_timeout_s`."""
    import time

    planned = (route_of(litellm_params) or {}).get("scan_deadline")
    if not isinstance(planned, (int, float)):
        return time.monotonic() + float(gateway_settings("escalation")["scan_timeout_s"])
    return max(float(planned), time.monotonic() + 1.0)


UNREADABLE = "unreadable-text"


def _body_texts(body: Any) -> list[str] | None:
    """Every text of the Gemini body, at any depth; None when part of it cannot be read (then refused)."""
    from plugins.policy.outgoing import UnreadableJSON, gemini_texts

    try:
        return gemini_texts(body)
    except UnreadableJSON:
        return None


async def check_cloud_body(body: Any, litellm_params: dict[str, Any] | None) -> None:
    """The Gemini request as LiteLLM built it, read once more by the same detectors just before it is
    sent: a value that reached it by a path nobody foresaw is refused (403) instead of sent. Skipped
    only where the request's own policy skipped the scan (escalation off for the key or the config)."""
    from plugins.policy.sensitive import find_sensitive_off_loop

    if _needs_body_check(litellm_params):
        texts = _body_texts(body)
        _refuse_cloud_body(await find_sensitive_off_loop(texts, _deadline(litellm_params)) if texts is not None
                           else [UNREADABLE],
                           litellm_params)


def check_cloud_body_now(body: Any, litellm_params: dict[str, Any] | None) -> None:
    """`check_cloud_body` for LiteLLM's synchronous path (no event loop to leave)."""
    from plugins.policy.detect import ScanTimeout, find_sensitive

    if not _needs_body_check(litellm_params):
        return
    texts = _body_texts(body)
    try:
        found = find_sensitive(texts, _deadline(litellm_params)) if texts is not None else [UNREADABLE]
    except ScanTimeout:
        found = ["scan-incomplete"]
    _refuse_cloud_body(found, litellm_params)


def keep_local_deployments(route: dict[str, Any] | None, deployments: list) -> list:
    """Drop every non-local deployment when the request is strict (an embedding group's hosts are ours)."""
    if not route or route.get("privacy") != "strict":
        return deployments
    embeddings = route.get("surface") == "embeddings"
    return [deployment for deployment in deployments if isinstance(deployment, dict) and
            (is_local(deployment) or (embeddings and is_embedding_deployment(deployment)))]


def _fallback_pairs(entries: Any) -> list[tuple[str, str]]:
    pairs = []
    for entry in entries or []:
        if isinstance(entry, dict):
            pairs += [(source, target) for source, targets in entry.items() for target in (targets or [])]
        elif isinstance(entry, str):
            pairs.append(("*", entry))
    return pairs


def _check_config() -> None:
    config = full_config()
    for deployment in config.get("model_list") or []:
        group = deployment.get("model_name")
        if privacy_of_group(group) == "strict" and not is_local(deployment):
            raise RuntimeError(f"Model group {group!r} is strict but has a non-local deployment; refusing to start.")
        params = deployment.get("litellm_params") or {}
        self_hosted = provider_of(params) in ("openai", "hosted_vllm") and params.get("api_base")
        if is_embedding_deployment(deployment) and not (is_local(deployment) or self_hosted):
            raise RuntimeError(f"Embedding group {group!r} has a cloud deployment; embeddings are served locally "
                               "or by another gateway host (an OpenAI-compatible api_base). Refusing to start.")
    settings = {**(config.get("router_settings") or {}), **(config.get("litellm_settings") or {})}
    for name in FALLBACK_SETTINGS:
        for source, target in _fallback_pairs(settings.get(name)):
            if source == "*" or privacy_of_group(source) != privacy_of_group(target):
                raise RuntimeError(
                    f"{name}: {source!r} -> {target!r} crosses privacy classes; fallbacks must stay in one class."
                )


def reject_cross_class_fallbacks(data: dict[str, Any] | None = None, decision: RouteDecision | None = None) -> None:
    """Without arguments, validate the config at start-up; with a request, refuse client-sent
    fallbacks that would leave the request's privacy class."""
    if data is None or decision is None:
        _check_config()
        return
    for name in FALLBACK_SETTINGS:
        for _, target in _fallback_pairs(data.get(name)):
            target_name = target.get("model") if isinstance(target, dict) else target
            if privacy_of_group(str(target_name)) != decision.privacy:
                raise GatewayError(403, f"Fallback to {target_name!r} is outside privacy_mode={decision.privacy}; "
                                   "refused.", param=name)


def check_fallback_rule(body: dict[str, Any]) -> None:
    """An admin's `POST /fallback` (LiteLLM's runtime fallback editor): a rule whose fallbacks leave the
    model's privacy class is a 400 before anything is changed (at start-up the same rule stops the gateway)."""
    model, targets = body.get("model"), body.get("fallback_models")
    if not isinstance(model, str) or not isinstance(targets, list):
        return  # LiteLLM's own validation answers malformed rules
    source = privacy_of_group(model)
    crossing = [str(target) for target in targets if privacy_of_group(str(target)) != source]
    if crossing:
        raise GatewayError(400, f"Fallbacks never cross privacy classes: {model!r} is {source or 'not a group'}, "
                           f"{', '.join(map(repr, crossing))} is not in that class. Nothing was changed.",
                           param="fallback_models", code="fallback_crosses_privacy")
