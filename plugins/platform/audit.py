"""Audit trail: one JSON line per chat request saying where it went and why, never what it said.

The sink (stdout or a file) is `gateway.audit` in litellm_config.yaml. Lines carry ids, key
alias, routing decision, deployment, attachment sizes and placements, status and latency; no
message text, file bytes or keys.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from typing import Any

from plugins.platform.settings import gateway_settings

_lock = threading.Lock()


def _write(line: str) -> None:
    settings = gateway_settings("audit")
    if not settings["enabled"]:
        return
    if settings["sink"] == "file":
        with _lock, open(settings["path"], "a", encoding="utf-8") as handle:
            handle.write(line + "\n")
    else:
        with _lock:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()


def _seconds(value: Any) -> float | None:
    if hasattr(value, "timestamp"):
        return value.timestamp()
    return float(value) if isinstance(value, (int, float)) else None


def audit_record(kwargs: dict, route: dict, response: Any, start_time: Any, end_time: Any, error: Any) -> dict:
    """The audit line for one finished request, built only from metadata."""
    metadata = (kwargs.get("litellm_params") or {}).get("metadata") or kwargs.get("metadata") or {}
    hidden = getattr(response, "_hidden_params", None) or {}
    started, ended = _seconds(start_time), _seconds(end_time)
    return {
        "event": "gateway.request",
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "request_id": kwargs.get("litellm_call_id"),
        "key_alias": metadata.get("user_api_key_alias"),
        "key_hash": (metadata.get("user_api_key_hash") or metadata.get("user_api_key") or "")[:12] or None,
        "task": route.get("task"),
        "privacy_requested": route.get("requested_privacy") or route.get("privacy"),
        "privacy_applied": route.get("privacy"),
        "rule": route.get("rule"),
        "escalated": route.get("escalated") or None,
        "redacted": route.get("redacted") or None,
        "redacted_audio": route.get("redacted_audio") or None,
        "group": route.get("group"),
        "deployment": hidden.get("litellm_model_name") or kwargs.get("model"),
        "attachments": route.get("attachment_log") or [],
        "status": "error" if error else "ok",
        "error_type": type(error).__name__ if error else None,
        "latency_ms": round((ended - started) * 1000, 1) if started and ended else None,
    }


def write_audit(kwargs: dict, route: dict | None, response: Any, start_time: Any, end_time: Any, error: Any = None):
    if route:
        _write(json.dumps(audit_record(kwargs, route, response, start_time, end_time, error), sort_keys=True))


def write_event(fields: dict[str, Any]) -> None:
    """A line for a request LiteLLM does not log itself (the local `/v1/audio/*` routes): the same keys as
    every audit line, metadata only."""
    _write(json.dumps({**audit_record({}, {}, None, None, None, None), **fields}, sort_keys=True, default=str))
