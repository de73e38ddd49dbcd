"""`GET /health` without auth: is each backend reachable, and which in-process models can serve?
Reveals no keys, URLs, paths or config.

Ollama (local) is checked on every call; Gemini at most once per `cloud_check_interval_s`. The local
models (Whisper, the embedding models) are reported by state, never loaded by a health check: a model
that is missing or failed to load makes the status `degraded` and `degraded` names what it disables."""

from __future__ import annotations

import asyncio
import os
import time

import httpx

from plugins.platform.settings import full_config, gateway_settings

TRANSCRIPTION_DISABLES = "transcription: strict audio/video, the sensitive-data scan of flexible audio (503), " \
    "/v1/audio/transcriptions and /v1/audio/translations"

NAMES_DISABLE = "person names: the name list is missing; flexible requests are handled as strict"

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


UNAVAILABLE = ("failed", "missing")


def local_models() -> tuple[dict, list[str]]:
    """The in-process models' states (loaded | loading | not loaded | failed | missing), and what the
    failed or missing ones disable. Nothing is loaded here."""
    from plugins.attachments.transcription import model_label, transcriber
    from plugins.embeddings_provider import get_engine
    from plugins.policy.recognisers import name_lists

    transcription = {"model": model_label(), "status": transcriber().state}
    engine = get_engine()
    embeddings = {name: slot.state for name, slot in engine.slots.items()} if engine.settings.enabled else {}
    degraded = [TRANSCRIPTION_DISABLES] if transcription["status"] in UNAVAILABLE else []
    degraded += [f"embeddings: model {name}" for name, state in embeddings.items() if state in UNAVAILABLE]
    names = {"model": "name list (names-dataset, scripts/build_name_lists.py)", "status": name_lists.state()}
    if names["status"] in UNAVAILABLE:
        degraded.append(NAMES_DISABLE)
    return {"transcription": transcription, "embeddings": embeddings, "person_names": names}, degraded


async def backend_health() -> dict:
    """Check every backend concurrently with a short timeout, and report the local models' states."""
    timeout = float(gateway_settings("health")["timeout_s"])
    async with httpx.AsyncClient(timeout=timeout) as client:
        ollama, gemini = await asyncio.gather(_check_ollama(client), _check_gemini_cached(client))
    models, degraded = local_models()
    healthy = ollama["reachable"] and gemini["reachable"] and not degraded
    return {"status": "ok" if healthy else "degraded", "backends": {"ollama": ollama, "gemini": gemini},
            "local_models": models, "degraded": degraded}
