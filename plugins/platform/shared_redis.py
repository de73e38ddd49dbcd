"""Scale-out: several gateway replicas sharing one Redis (docs/SCALING.md).

LiteLLM itself uses Redis for router state, cooldowns and rpm/tpm usage as soon as REDIS_URL or
REDIS_HOST is set (its "coordination Redis", built from the REDIS_* variables at start-up). This
module adds the gateway's part, also only when those variables are set:

- LiteLLM's response cache, with the `litellm_settings.cache_params` of the config (Redis, opt-in per
  request). A static `cache: true` would refuse to start without a Redis host, so it is turned on here.
- `SharedRecords`: named text records with a time to live (background Responses), in Redis, else in memory.
- `SharedRedis`: the Redis the File API upload-reuse cache keeps its entries in. When Redis stops
  answering, callers fall back to their in-process state; one warning says so, and Redis is tried
  again every `gateway.scaling.redis_retry_s` until it answers.

Without any REDIS_* connection variable nothing here does anything: one instance, in memory.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from redis.exceptions import RedisError

from plugins.platform.settings import full_config, gateway_settings

log = logging.getLogger("LiteLLM Proxy")  # LiteLLM's proxy logger (litellm._logging), not imported here

# The variables that make LiteLLM build its coordination Redis (the rest, e.g. REDIS_PORT,
# REDIS_PASSWORD, REDIS_SSL, only complete a target).
TARGET_VARIABLES = ("REDIS_URL", "REDIS_HOST", "REDIS_CLUSTER_NODES", "REDIS_SENTINEL_NODES")
T = TypeVar("T")


def redis_configured() -> bool:
    """True when the environment names a Redis: the switch for everything in docs/SCALING.md."""
    return any(os.environ.get(name) for name in TARGET_VARIABLES)


def scaling_settings() -> dict[str, Any]:
    return gateway_settings("scaling")


def key_prefix() -> str:
    """Namespace of the gateway's own Redis keys."""
    return str(scaling_settings()["key_prefix"])


def redis_target() -> str:
    """Where Redis is, for log lines: never the password."""
    url = os.environ.get("REDIS_URL")
    if url:
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.hostname}:{parts.port or 6379}{parts.path}"
    if os.environ.get("REDIS_HOST"):
        return f"{os.environ['REDIS_HOST']}:{os.environ.get('REDIS_PORT', '6379')}"
    return "cluster/sentinel nodes from REDIS_CLUSTER_NODES / REDIS_SENTINEL_NODES"


def enable_response_cache() -> bool:
    """Turn on LiteLLM's response cache with `litellm_settings.cache_params`, when Redis is configured.

    A `litellm_settings.cache: true` block (LiteLLM's own switch) wins: nothing is changed then."""
    import litellm

    params = dict((full_config().get("litellm_settings") or {}).get("cache_params") or {})
    wanted = scaling_settings()["response_cache"] is not False
    if not redis_configured() or not params or not wanted or litellm.cache is not None:
        return False
    from litellm.caching.caching import Cache
    from litellm.secret_managers.main import get_secret

    for name, value in params.items():  # as LiteLLM does for its own cache_params
        if isinstance(value, str) and value.startswith("os.environ/"):
            params[name] = get_secret(value)
    try:
        litellm.cache = Cache(**params)
    except Exception as error:  # a bad value must not stop the gateway: it serves without a response cache
        log.warning("gateway scaling: response cache not enabled (%s): %s", redis_target(), error)
        return False
    log.info("gateway scaling: response cache on %s (mode %s)", redis_target(), params.get("mode"))
    return True


class SharedRedis:
    """One asyncio Redis client (built by LiteLLM from the same REDIS_* variables) with an up/down state.

    `run(operation)` returns (True, result), or (False, None) when Redis is down: the caller then
    uses its own in-process state. The switch to "down" logs one warning; recovery logs one line."""

    def __init__(self, purpose: str) -> None:
        self.purpose = purpose
        self._client: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._down = False
        self._retry_at = 0.0

    def _get_client(self):
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:  # a client's connections belong to one loop
            from litellm._redis import get_redis_async_client

            timeout = float(scaling_settings()["redis_timeout_s"])
            self._client = get_redis_async_client(socket_timeout=timeout, socket_connect_timeout=timeout)
            self._loop = loop
        return self._client

    async def run(self, operation: Callable[[Any], Awaitable[T]]) -> tuple[bool, T | None]:
        if self._down and time.monotonic() < self._retry_at:
            return False, None
        try:
            result = await operation(self._get_client())
        except (RedisError, OSError, asyncio.TimeoutError) as error:
            self._mark_down(error)
            return False, None
        if self._down:
            self._down = False
            log.warning(
                "gateway scaling: Redis at %s answers again; the %s is shared by all replicas again.",
                redis_target(), self.purpose,
            )
        return True, result

    def _mark_down(self, error: BaseException) -> None:
        retry_s = float(scaling_settings()["redis_retry_s"])
        self._retry_at = time.monotonic() + retry_s
        if not self._down:
            self._down = True
            log.warning(
                "gateway scaling: Redis at %s is unreachable (%s: %s); the %s falls back to this replica's "
                "memory until Redis answers again (retried every %ss).",
                redis_target(), type(error).__name__, error, self.purpose, retry_s,
            )


def shared_redis(purpose: str) -> SharedRedis | None:
    """A SharedRedis when the environment names a Redis, else None (everything stays in memory).

    The response cache is switched on by `plugins.startup`, not here."""
    if not redis_configured():
        return None
    return SharedRedis(purpose)


class SharedRecords:
    """Text records by name, with a time to live: in Redis when configured (shared by the replicas), in
    this process's memory otherwise, and while Redis does not answer (writes go to both)."""

    def __init__(self, purpose: str) -> None:
        self.redis = shared_redis(purpose)
        self.memory: dict[str, tuple[float, str]] = {}

    async def put(self, name: str, value: str, ttl_s: float) -> None:
        now = time.monotonic()
        self.memory = {key: item for key, item in self.memory.items() if item[0] > now}
        self.memory[name] = (now + ttl_s, value)
        if self.redis is not None:
            await self.redis.run(lambda client: client.set(name, value, ex=max(1, int(ttl_s))))

    async def get(self, name: str, unknown: str | None = None) -> str | None:
        """The record; from memory when Redis does not answer, and then `unknown` if memory lacks it
        (a record another replica wrote may exist: the caller must not read that as absent)."""
        answered = False
        if self.redis is not None:
            answered, value = await self.redis.run(lambda client: client.get(name))
            if answered:
                return value.decode() if isinstance(value, bytes) else value
        expires, value = self.memory.get(name, (0.0, ""))
        if expires > time.monotonic():
            return value
        return unknown if self.redis is not None and not answered else None

    async def delete(self, *names: str) -> None:
        for name in names:
            self.memory.pop(name, None)
        if self.redis is not None:
            await self.redis.run(lambda client: client.delete(*names))
