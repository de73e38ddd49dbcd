"""The gateway's decision for one chat request: read task/privacy -> pick group -> place attachments.

Shared by the pre-call hook (which then calls the model) and `/v1/route/explain` (which only
reports), so the explanation is the same decision a real call gets.
"""

from __future__ import annotations

from typing import Any

from plugins import routing
from plugins.attachments import prepare_attachments
from plugins.privacy_guard import reject_cross_class_fallbacks


async def plan_request(data: dict[str, Any], headers: dict[str, str], key_scope: str, dry_run: bool = False) -> dict:
    """Decide where `data` goes, strip the gateway's fields from it, and (unless `dry_run`)
    rewrite its attachments for that destination. Returns the route record."""
    decision = routing.decide_route(data, headers)
    reject_cross_class_fallbacks(data, decision)
    attachments = await prepare_attachments(data.get("messages"), decision.privacy, key_scope, dry_run=dry_run)
    return {
        **decision.as_metadata(),
        "attachments": ",".join(f"{item.mime}:{item.placement}" for item in attachments),
        "attachment_log": [item.summary() for item in attachments],
    }
