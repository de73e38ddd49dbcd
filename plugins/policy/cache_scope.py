"""Response cache entries are per key, on every call type: one key never reads another key's answer.

LiteLLM's cache key gets its namespace from the request's `cache.namespace`, else `metadata.redis_namespace`.
On the Responses API `metadata` is the client's own (forwarded to the provider) while the proxy's
metadata travels in `litellm_metadata`: a client could choose the namespace, and the gateway's per-key
one was never read. So the gateway's pre-call hook stamps `GATEWAY_NAMESPACE` in the proxy metadata and
the cache reads that, and only that; a call without it (not from the proxy) gets the configured namespace.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

GATEWAY_NAMESPACE = "gateway_cache_namespace"


def cache_namespace(scope: str) -> str:
    """The per-key namespace: an HMAC of the key's hash under the master key, so the same on every
    replica, and not computable from a key hash a teammate can read in `/team/info`."""
    from litellm.proxy.proxy_server import master_key

    secret = str(master_key or "gateway").encode()
    return f"gateway:response:{hmac.new(secret, scope.encode(), hashlib.sha256).hexdigest()[:24]}"


def gateway_namespace(kwargs: dict[str, Any]) -> str | None:
    """The namespace the gateway stamped, from the proxy's metadata only (never the client's)."""
    holders = [kwargs.get("litellm_metadata"), kwargs.get("metadata"),
               (kwargs.get("litellm_params") or {}).get("litellm_metadata"),
               (kwargs.get("litellm_params") or {}).get("metadata")]
    for holder in holders:
        if isinstance(holder, dict) and isinstance(holder.get(GATEWAY_NAMESPACE), str):
            return holder[GATEWAY_NAMESPACE]
    return None


def install_cache_scope() -> None:
    """Replace LiteLLM's `Cache._add_namespace_to_cache_key` with one that ignores client namespaces."""
    from litellm.caching.caching import Cache

    if getattr(Cache._add_namespace_to_cache_key, "gateway_wrapped", False):
        return

    def add_namespace(self: Any, hash_hex: str, **kwargs: Any) -> str:
        namespace = gateway_namespace(kwargs) or self.namespace
        return f"{namespace}:{hash_hex}" if namespace else hash_hex

    add_namespace.gateway_wrapped = True  # type: ignore[attr-defined]
    Cache._add_namespace_to_cache_key = add_namespace  # type: ignore[method-assign]
