"""Backend addresses and shared counts stay with admins: a tenant sees neither where a model group
runs nor how much everyone else uses it.

LiteLLM answers model calls with `x-litellm-model-api-base` and the backend's own headers as
`llm_provider-*` (`llm_provider-server` names the backend's server), and `/model/info` lists each
deployment's `api_base`. For a key that is not an admin's, the request guard drops those headers
and removes address fields from the model-info bodies; admins (the UI's Models page) keep them.

Rate-limit headers: LiteLLM's `x-ratelimit-{limit,remaining}-{requests,tokens}` count the deployment
(every tenant's traffic) and `llm_provider-x-ratelimit-*` the provider account. A tenant gets its own
limits only: the per-key, per-team and per-user ones LiteLLM's limiter reports
(`x-ratelimit-api_key-remaining-requests`, ...), and the standard names carry the key's (else the
team's) values, so OpenAI clients read their own budget.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.types import Message, Send

HIDDEN_HEADERS = frozenset({b"x-litellm-model-api-base", b"llm_provider-server", b"llm_provider-via",
                            b"llm_provider-x-served-by", b"llm_provider-x-forwarded-for"})
MODEL_INFO_PATHS = ("/model/info", "/v1/model/info", "/v2/model/info", "/model_group/info")
ADDRESS_FIELDS = frozenset({"api_base", "base_url", "api_base_url", "litellm_credential_name"})
ADMIN_ROLES = ("proxy_admin", "proxy_admin_viewer")
OWN_LIMITS = ("api_key", "team", "user", "end_user", "model_per_key", "model_per_team")  # LiteLLM's descriptors
STANDARD_LIMITS = ("limit-requests", "remaining-requests", "reset-requests",
                   "limit-tokens", "remaining-tokens", "reset-tokens")


def is_admin(key: Any) -> bool:
    role = getattr(key, "user_role", None)
    return getattr(role, "value", role) in ADMIN_ROLES


def without_addresses(value: Any) -> Any:
    """`value` with every address field removed, at any depth."""
    if isinstance(value, dict):
        return {name: without_addresses(item) for name, item in value.items() if name not in ADDRESS_FIELDS}
    if isinstance(value, list):
        return [without_addresses(item) for item in value]
    return value


def own_rate_limit_headers(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """`headers` with only the caller's own rate limits; the standard names filled from the key's or team's."""
    kept: list[tuple[bytes, bytes]] = []
    own: dict[str, dict[str, bytes]] = {}
    for name, value in headers:
        lower = name.lower().decode("latin-1")
        if lower.startswith("llm_provider-") and "ratelimit" in lower:
            continue
        if lower.startswith("x-ratelimit-"):
            rest = lower.removeprefix("x-ratelimit-")
            if rest in STANDARD_LIMITS:
                continue
            parts = rest.split("-")  # e.g. api_key-remaining-requests
            descriptor, measure = "-".join(parts[:-2]), "-".join(parts[-2:])
            if descriptor not in OWN_LIMITS:
                continue
            own.setdefault(descriptor, {})[measure] = value
        kept.append((name, value))
    standard = {**own.get("team", {}), **own.get("api_key", {})}  # the key's own limits win over its team's
    return kept + [(f"x-ratelimit-{measure}".encode(), value) for measure, value in standard.items()
                   if measure in STANDARD_LIMITS]


class HideBackends:
    """A `send` that drops the backend headers and, on model-info routes, the address fields."""

    def __init__(self, send: Send, path: str) -> None:
        self.send = send
        self.rewrite = path.rstrip("/") in MODEL_INFO_PATHS
        self._start: Message | None = None
        self._body: list[bytes] = []

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = own_rate_limit_headers([(name, value) for name, value in message.get("headers") or []
                                              if name.lower() not in HIDDEN_HEADERS])
            message = {**message, "headers": headers}
            json_body = any(name.lower() == b"content-type" and value.startswith(b"application/json")
                            for name, value in headers)
            if self.rewrite and message["status"] == 200 and json_body:
                self._start = message
                return
            await self.send(message)
            return
        if message["type"] == "http.response.body" and self._start is not None:
            self._body.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = b"".join(self._body)
            try:
                body = json.dumps(without_addresses(json.loads(body))).encode()
            except ValueError:
                pass
            headers = [(name, value) for name, value in self._start.get("headers") or []
                       if name.lower() != b"content-length"] + [(b"content-length", str(len(body)).encode())]
            await self.send({**self._start, "headers": headers})
            self._start = None
            await self.send({"type": "http.response.body", "body": body, "more_body": False})
            return
        await self.send(message)
