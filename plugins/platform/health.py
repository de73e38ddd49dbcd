"""`GET /health` without auth: is each backend reachable? Reveals no keys, URLs or config.

Ollama (local) is checked on every call; Gemini at most once per `cloud_check_interval_s`."""

from __future__ import annotations

import asyncio
import os
import time

import httpx

from plugins.platform.settings import full_config, gateway_settings

GEMINI_DEFAULT_BASE = "https://generativelanguage.googleapis.com/v1beta"


def _ollama_base() -> str:
    return os.environ.get("OLLAMA_API_BASE") or "http://localhost:11434"


def _configured_ollama_models() -> list[str]:
    models = []
    for deployment in full_config().get("model_list") or []:
        model = str((deployment.get("litellm_params") or {}).get("model", ""))
        provider, _, name = model.partition("/")
        if provider in ("ollama", "ollama_chat") and name not in models:
            models.append(name)
    return models


def _with_latest(name: str) -> str:
    return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"


async def _check_ollama(client: httpx.AsyncClient) -> dict:
    try:
        response = await client.get(f"{_ollama_base().rstrip('/')}/api/tags")
        response.raise_for_status()
        pulled = {_with_latest(entry.get("name", "")) for entry in response.json().get("models", [])}
    except Exception:
        return {"reachable": False}
    return {"reachable": True, "models": {name: _with_latest(name) in pulled for name in _configured_ollama_models()}}


_last_cloud_check: dict = {}  # {"at": monotonic seconds, "result": dict}


async def _check_gemini_cached(client: httpx.AsyncClient) -> dict:
    """Gemini's reachability, checked at most every `gateway.health.cloud_check_interval_s`: an open,
    unauthenticated /health must not turn into a stream of calls (with our API key) to the cloud."""
    interval = float(gateway_settings("health")["cloud_check_interval_s"])
    if _last_cloud_check and time.monotonic() - _last_cloud_check["at"] < interval:
        return _last_cloud_check["result"]
    result = await _check_gemini(client)
    _last_cloud_check.update(at=time.monotonic(), result=result)
    return result


async def _check_gemini(client: httpx.AsyncClient) -> dict:
    api_key = os.environ.get("GEMINI_API_KEY")
    if not api_key:
        return {"reachable": False, "configured": False}
    base = (os.environ.get("GEMINI_API_BASE") or GEMINI_DEFAULT_BASE).rstrip("/")
    try:
        response = await client.get(f"{base}/models", headers={"x-goog-api-key": api_key})
    except Exception:
        return {"reachable": False, "configured": True}
    return {"reachable": response.status_code < 500, "configured": True, "authorized": response.status_code == 200}


async def backend_health() -> dict:
    """Check every backend concurrently with a short timeout."""
    timeout = float(gateway_settings("health")["timeout_s"])
    async with httpx.AsyncClient(timeout=timeout) as client:
        ollama, gemini = await asyncio.gather(_check_ollama(client), _check_gemini_cached(client))
    healthy = ollama["reachable"] and gemini["reachable"]
    return {"status": "ok" if healthy else "degraded", "backends": {"ollama": ollama, "gemini": gemini}}
