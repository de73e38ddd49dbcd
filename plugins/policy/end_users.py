"""End-user ids are per tenant: a key's `"user": "acme-x"` is its own team's `acme-x`, never another's.

LiteLLM keeps one table of end users (customers) for the whole proxy and takes the id a request sends
(`user`, `metadata.user_id`, `litellm_metadata.user`, `safety_identifier`, or the
`x-litellm-end-user-id` / `x-litellm-customer-id` headers) as is: tenant B sending A's customer's id was
charged to that customer's budget and spend. The gateway reads the id as LiteLLM does and puts the
caller's scope in front: `<team_id>/acme-x`, or `key-<16 hex of the key's hash>/acme-x` for a key
without a team. Admins' ids are taken as sent, so an admin creates a tenant's end user as
`<team_id>/acme-x` (docs/ADMIN.md). What is forwarded to the model is untouched.

The scope is known only once the key is: the request guard authenticates on headers first (with no end
user, so no other tenant's budget is looked at), then sets the scope for LiteLLM's own auth.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from plugins.surfaces.backend_privacy import is_admin

AS_SENT = ""  # an admin's ids are taken as they are sent
END_USER_SCOPE: ContextVar[str | None] = ContextVar("gateway_end_user_scope", default=None)


def end_user_scope(key: Any) -> str:
    """The prefix a key's end-user ids get: its team, else its own hash; nothing for an admin."""
    if is_admin(key):
        return AS_SENT
    team_id = getattr(key, "team_id", None)
    if team_id:
        return str(team_id)
    return f"key-{str(getattr(key, 'token', None) or '')[:16]}"


def scoped_end_user_id(raw: str | None) -> str | None:
    """`raw` under the caller's scope; None while the key is not known yet (no end user is looked up)."""
    scope = END_USER_SCOPE.get()
    if raw is None or scope is None:
        return None
    return raw if scope == AS_SENT else f"{scope}/{raw}"


def install_end_user_scope() -> None:
    """Wrap the `get_end_user_id_from_request_body` that LiteLLM's key auth calls."""
    from litellm.proxy.auth import user_api_key_auth as auth

    litellm_read = auth.get_end_user_id_from_request_body
    if getattr(litellm_read, "gateway_wrapped", False):
        return

    def read_scoped(request_body: Any, request_headers: Any = None) -> str | None:
        return scoped_end_user_id(litellm_read(request_body, request_headers))

    read_scoped.gateway_wrapped = True  # type: ignore[attr-defined]
    auth.get_end_user_id_from_request_body = read_scoped
