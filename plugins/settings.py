"""The gateway's own settings: the `gateway:` section of litellm_config.yaml.

LiteLLM ignores unknown top-level sections, so our knobs live beside its own in one file.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

import yaml


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


def gateway_settings(section: str) -> dict[str, Any]:
    """One sub-section of `gateway:` (e.g. "routing", "attachments"), {} if absent."""
    return dict((full_config().get("gateway") or {}).get(section) or {})
