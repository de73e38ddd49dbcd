"""A key sees only its own `/key/info`, unless it is an admin's.

LiteLLM's `/key/info?key=...` and `/v2/key/info` let a caller read a key when the two have the same
`user_id`. Keys made for an application have none, and `None == None`: any such key could read any
other such key's alias, models, metadata and spend by passing its hash (which `/team/info` shows
teammates). The gateway keeps LiteLLM's check (admins, the same user, the key's team admins) and
only closes that hole: a caller without a user sees its own key and no other.
"""

from __future__ import annotations

from typing import Any

ADMIN_ROLES = ("proxy_admin", "proxy_admin_viewer")


def install_key_visibility() -> None:
    """Wrap LiteLLM's `_can_user_query_key_info`, which both key-info routes call."""
    from litellm.proxy.management_endpoints import key_management_endpoints as endpoints

    litellm_check = endpoints._can_user_query_key_info
    if getattr(litellm_check, "gateway_wrapped", False):
        return

    async def can_query_key_info(user_api_key_dict: Any, key: str | None, key_info: Any) -> bool:
        role = getattr(user_api_key_dict.user_role, "value", user_api_key_dict.user_role)
        if role in ADMIN_ROLES:
            return True
        own = user_api_key_dict.token or user_api_key_dict.api_key
        if getattr(key_info, "token", None) == own:
            return True
        if not user_api_key_dict.user_id:  # no user: LiteLLM's `user_id == user_id` would match every such key
            return False
        return bool(await litellm_check(user_api_key_dict=user_api_key_dict, key=key, key_info=key_info))

    can_query_key_info.gateway_wrapped = True  # type: ignore[attr-defined]
    endpoints._can_user_query_key_info = can_query_key_info
