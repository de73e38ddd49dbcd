"""Hold the model group the gateway picks to the caller's allowed models.

LiteLLM checks a key's (and its team's) allowed models against the `model` the client sent, at
auth time. The gateway picks the real group later, in its pre-call hook: a client sends
`model="auto"` (multipart requests always do) and the hook rewrites it to e.g. `chat-flexible`.
Without this check a key allowed `["auto", "chat-strict"]` could still reach Gemini by asking for
`privacy_mode=flexible`. The check is LiteLLM's own, the one its auto router runs on the model it
resolves after auth: key models, access groups, team models, team-member and project limits.
"""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException


async def check_group_allowed(user_api_key_dict: Any, group: str) -> None:
    """Raise HTTPException(403) unless the key (and its team) may call `group`."""
    if user_api_key_dict is None:
        return
    from litellm.proxy._types import ProxyException
    from litellm.proxy.auth.auth_checks import can_key_call_resolved_model
    from litellm.proxy.proxy_server import llm_model_list, llm_router

    try:
        await can_key_call_resolved_model(
            model=group, llm_model_list=llm_model_list, valid_token=user_api_key_dict, llm_router=llm_router
        )
    except ProxyException as error:
        if str(error.code) not in ("401", "403"):
            raise
        raise HTTPException(
            status_code=403,
            detail=f"This key may not use model group {group!r}, which the gateway chose for this request "
            "(task and privacy_mode). Ask an admin to add the group to the key's or team's models.",
        ) from None
