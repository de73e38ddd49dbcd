"""The gateway's own settings: the `gateway:` section of litellm_config.yaml.

LiteLLM ignores unknown top-level sections, so our knobs live beside its own in one file. Every
setting has its default here, in `DEFAULTS`; `check_gateway_settings()` runs at start-up and refuses
a key it does not know (a typo is a start-up error naming the key, not a silently ignored knob).
"""

from __future__ import annotations

import copy
import functools
import os
from pathlib import Path
from typing import Any

import yaml

ANY = object()  # a mapping whose keys are the operator's own (groups, patterns, models)
DEFAULTS: dict[str, Any] = {
    "routing": {
        "default_privacy": "strict", "default_task": "chat", "groups": ANY,
        "local_providers": ["ollama", "ollama_chat", "embedding_server", "transcription_server"],
        "block_cloud_passthrough": True,
    },
    "surface": {"open": []},
    "limits": {"max_body_mb": 100, "max_admin_body_mb": 10},
    "local_work": {"workers": 2, "queue": 8, "retry_after_s": 2},
    "health": {"timeout_s": 2, "cloud_check_interval_s": 300},
    "attachments": {
        "max_request_mb": 100, "max_image_pixels": 50_000_000, "max_render_pixels": 16_000_000,
        "inline_threshold_mb": 5, "inline_request_limit_mb": 20,
        "file_api": {"api_version": "v1beta", "after_request": "keep", "reuse_for_hours": 47,
                     "cache_max_entries": 10000, "processing_deadline_s": 300, "poll_initial_s": 0.5,
                     "poll_max_s": 5, "upload_attempts": 3, "upload_retry_s": 1},
        "strict": {"accepts": ["image", "pdf", "audio", "video"], "max_image_side": 1536, "max_image_mb": 4,
                   "jpeg_quality": 90, "pdf_dpi": 150, "pdf_max_pages": 20},
        "fetch": {"enabled": True, "timeout_s": 10, "max_redirects": 3, "private_hosts": False},
    },
    "escalation": {
        "enabled": True, "action": "escalate", "actions": ANY, "patterns": ANY, "keywords": [],
        "kinds": ["email", "iban", "credit_card", "national_id", "tax_id", "health_id", "bank_account", "passport",
                  "driving_licence", "phone", "es_dni", "es_nie", "us_ssn", "person", "address", "spoken_number",
                  "secret", "crypto_address"],
        "phone_regions": ["ES", "US", "GB", "DE", "FR", "IT"],
        "name_list": "", "scan_attachments": True,
        "ocr_max_side": 1600, "ocr_max_pages": 10, "ocr_min_confidence": 0.5, "video_fps": 1, "video_max_frames": 60,
        "max_pages": 200, "scan_timeout_s": 60, "scan_cache_s": 3600,
        "override_key_aliases": [],
    },
    "transcription": {
        "source": "auto", "device": "auto", "compute_type": "auto", "cpu_threads": 0, "language": "auto",
        "beam_size": 5, "vad": True, "max_audio_minutes": 60, "timestamps": False, "frames": 4, "load": "background",
        "retry_load_after_s": 30, "scan_min_speed": 6, "scan_max_s": 600,
        "scan_window_s": 240, "scan_batch_size": 2, "scan_beam_size": 1, "scan_vad_pad_ms": 100,
        "scan_max_new_tokens": 224, "redact_margin_ms": 150,
    },
    "gemini": {"thinking_with_max_tokens": "disable"},
    "streaming": {"progress_interval_s": 5, "progress_after_model_s": 30},
    "background": {"enabled": True, "ttl_s": 3600, "check_s": 2, "max_running": 32},
    "audit": {"enabled": True, "sink": "stdout", "path": "gateway-audit.log"},
    "scaling": {"key_prefix": "gateway:", "response_cache": True, "redis_timeout_s": 1, "redis_retry_s": 5},
    "embeddings": ANY,  # parsed and checked by embedding_server.parse_settings
}


def config_path() -> Path:
    """The config file the proxy was started with (LiteLLM records it), else the repo default."""
    try:
        from litellm.proxy import proxy_server

        started_with = proxy_server.user_config_file_path
    except Exception:  # pragma: no cover - proxy not importable
        started_with = None
    chosen = started_with or os.environ.get("CONFIG_FILE_PATH") or "litellm_config.yaml"
    return Path(chosen).resolve()


@functools.lru_cache(maxsize=4)
def _load(path: Path) -> dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


def full_config() -> dict[str, Any]:
    """The whole YAML document the proxy runs with."""
    return _load(config_path())


def _merged(defaults: Any, configured: Any) -> Any:
    if defaults is ANY or not isinstance(defaults, dict) or not isinstance(configured, dict):
        return copy.deepcopy(configured if configured is not None else ({} if defaults is ANY else defaults))
    return {key: _merged(default, configured.get(key)) for key, default in defaults.items()}


def gateway_settings(section: str) -> dict[str, Any]:
    """One sub-section of `gateway:` (e.g. "routing"), every key present: the configured value or its default."""
    return _merged(DEFAULTS.get(section, ANY), (full_config().get("gateway") or {}).get(section)) or {}


def _unknown_keys(defaults: Any, configured: Any, where: str) -> list[str]:
    if defaults is ANY or not isinstance(defaults, dict) or not isinstance(configured, dict):
        return []
    found = [f"{where}.{key}" for key in configured if key not in defaults]
    for key, default in defaults.items():
        found += _unknown_keys(default, configured.get(key), f"{where}.{key}")
    return found


def check_gateway_settings() -> None:
    """Refuse to start on a `gateway:` key nobody reads: a typo would otherwise be silently ignored."""
    unknown = _unknown_keys(DEFAULTS, full_config().get("gateway") or {}, "gateway")
    if unknown:
        raise RuntimeError(f"Unknown setting(s) in litellm_config.yaml: {', '.join(unknown)}. "
                           "See the gateway: section of the shipped litellm_config.yaml for the valid keys.")
