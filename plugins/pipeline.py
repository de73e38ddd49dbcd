"""The gateway's decision for one chat request: read task/privacy -> pick group -> escalate
flexible requests that hold sensitive data -> place attachments.

Shared by the pre-call hook (which then calls the model) and `/v1/route/explain` (which only
reports), so the explanation is the same decision a real call gets.
"""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException

from plugins import routing
from plugins.attachments import collect_attachments, place_attachments
from plugins.key_access import check_group_allowed
from plugins.privacy_guard import reject_cross_class_fallbacks
from plugins.sensitive import scan_request
from plugins.settings import gateway_settings

OVERRIDE_VALUES = ("off", "skip", "false")


def key_scope(user_api_key_dict: Any) -> str:
    """What identifies the caller for per-key state (the hashed key LiteLLM already computed)."""
    return str(getattr(user_api_key_dict, "token", None) or getattr(user_api_key_dict, "api_key", None) or "anonymous")


def _key_settings(user_api_key_dict: Any) -> dict:
    metadata = getattr(user_api_key_dict, "metadata", None) or {}
    return metadata.get("gateway") or {} if isinstance(metadata, dict) else {}


def _wants_escalation_check(data: dict, headers: dict[str, str], user_api_key_dict: Any) -> bool:
    """Escalation runs unless config or the key turn it off, or an allowed key skips it for one request."""
    settings = gateway_settings("escalation")
    metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    lowered = {key.lower(): value for key, value in headers.items()}
    override = data.pop("escalation", None) or metadata.pop("escalation", None) or lowered.get("x-escalation")
    if not settings.get("enabled", True) or _key_settings(user_api_key_dict).get("escalation") is False:
        return False
    if str(override).lower() not in OVERRIDE_VALUES:
        return True
    allowed = settings.get("override_key_aliases") or []
    alias = getattr(user_api_key_dict, "key_alias", None)
    if "*" in allowed or (alias and alias in allowed) or _key_settings(user_api_key_dict).get("escalation_override"):
        return False
    raise HTTPException(
        403, "This key may not skip sensitive-data escalation (gateway.escalation.override_key_aliases)."
    )


async def plan_request(
    data: dict[str, Any], headers: dict[str, str], key_scope: str, user_api_key_dict: Any = None, dry_run: bool = False
) -> dict:
    """Decide where `data` goes, strip the gateway's fields from it, and (unless `dry_run`)
    rewrite its attachments for that destination. Returns the route record."""
    decision = routing.decide_route(data, headers)
    requested_privacy = decision.privacy
    check = _wants_escalation_check(data, headers, user_api_key_dict)
    reject_cross_class_fallbacks(data, decision)
    messages = data.get("messages")
    found = collect_attachments(messages)
    sensitive: list[str] = []
    if decision.privacy == "flexible" and check:
        sensitive = await scan_request(messages, [attachment for _, _, attachment in found])
        if sensitive:
            decision = routing.escalate_to_strict(decision, "sensitive-data:" + "+".join(sensitive))
            for name in ("fallbacks", "context_window_fallbacks", "content_policy_fallbacks"):
                data.pop(name, None)  # client fallbacks named flexible groups
    # Before anything is uploaded: the key must be allowed the group chosen for it.
    await check_group_allowed(user_api_key_dict, decision.group)
    attachments = await place_attachments(messages, found, decision.privacy, key_scope, dry_run=dry_run)
    return {
        **decision.as_metadata(),
        "requested_privacy": requested_privacy,
        "escalated": "sensitive-data" if sensitive else "",
        "sensitive": sensitive,
        "attachments": ",".join(f"{item.mime}:{item.placement}" for item in attachments),
        "attachment_log": [item.summary() for item in attachments],
    }
