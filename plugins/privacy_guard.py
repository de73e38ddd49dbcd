"""Strict requests never reach a cloud provider: checks at start-up, per request, and per deployment.

The router-level filter is the last line: whatever path a strict request takes (retry, fallback,
error handling), LiteLLM asks us which deployments it may use, and only local ones survive.
"""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException

from plugins.routing import RouteDecision, privacy_of_group
from plugins.settings import full_config, gateway_settings

FALLBACK_SETTINGS = ("fallbacks", "context_window_fallbacks", "content_policy_fallbacks", "default_fallbacks")


def provider_of(litellm_params: dict[str, Any]) -> str:
    return str(litellm_params.get("custom_llm_provider") or str(litellm_params.get("model", "")).split("/", 1)[0])


def is_local(deployment: dict[str, Any]) -> bool:
    local = gateway_settings("routing").get("local_providers") or ["ollama", "ollama_chat"]
    return provider_of(deployment.get("litellm_params") or {}) in local


def keep_local_deployments(route: dict[str, str] | None, deployments: list) -> list:
    """Drop every non-local deployment when the request is strict."""
    if not route or route.get("privacy") != "strict":
        return deployments
    return [deployment for deployment in deployments if isinstance(deployment, dict) and is_local(deployment)]


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
                raise HTTPException(
                    status_code=403,
                    detail=f"Fallback to {target_name!r} is outside privacy_mode={decision.privacy}; refused.",
                )
