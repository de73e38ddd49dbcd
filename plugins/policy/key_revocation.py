"""A deleted key stops working on every replica at once, not when another replica's auth cache expires.

LiteLLM serves a key from each replica's in-memory auth cache. Regenerating, updating or blocking a key
evicts it there and tells the other replicas over Redis pub/sub (LiteLLM's auth-cache invalidation
channel, which every replica subscribes to when Redis is configured). `/key/delete` evicts it only on
the replica that served the delete, so the others kept admitting it for a minute. The gateway adds
LiteLLM's own bulk eviction to the delete: memory here, the Redis copy, and the broadcast to the others.
An expired key needs nothing: its expiry is checked on every request, cached or not.
"""

from __future__ import annotations

from typing import Any


def install_key_revocation() -> None:
    """Wrap LiteLLM's `delete_verification_tokens`, which `/key/delete` (by key or by alias) calls."""
    from litellm.proxy.management_endpoints import key_management_endpoints as endpoints

    litellm_delete = endpoints.delete_verification_tokens
    if getattr(litellm_delete, "gateway_wrapped", False):
        return

    async def delete_and_broadcast(tokens: list, user_api_key_cache: Any, *args: Any, **kwargs: Any) -> Any:
        from litellm.proxy.auth.auth_checks import delete_cache_key_objects
        from litellm.proxy.proxy_server import proxy_logging_obj
        from litellm.proxy.utils import hash_token_if_needed

        hashed = [hash_token_if_needed(token=token) for token in tokens]
        result = await litellm_delete(tokens, user_api_key_cache, *args, **kwargs)
        await delete_cache_key_objects(hashed_tokens=hashed, user_api_key_cache=user_api_key_cache,
                                       proxy_logging_obj=proxy_logging_obj)
        return result

    delete_and_broadcast.gateway_wrapped = True  # type: ignore[attr-defined]
    endpoints.delete_verification_tokens = delete_and_broadcast
