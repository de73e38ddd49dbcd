"""Start the real gateway (LiteLLM Proxy + plugins) as a subprocess on a free port."""

from __future__ import annotations

import copy
import os
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import openai
import yaml

ROOT = Path(__file__).resolve().parent.parent
MASTER_KEY = "sk-test-master-key"
GEMINI_KEY = "test-gemini-key"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def deep_merge(base: dict, overrides: dict) -> dict:
    merged = copy.deepcopy(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


class Gateway:
    """A running gateway: `url(path)`, an `openai` client, and its log for assertions."""

    def __init__(self, config_overrides: dict | None = None, env: dict[str, str] | None = None,
                 args: tuple[str, ...] = ()) -> None:
        self.port = free_port()
        self.args = args  # extra `litellm` CLI arguments, e.g. ("--num_workers", "2")
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.master_key = MASTER_KEY
        self._workdir = tempfile.TemporaryDirectory(prefix="gateway-")
        config = yaml.safe_load((ROOT / "litellm_config.yaml").read_text())
        self.config_path = Path(self._workdir.name) / "litellm_config.yaml"
        self.config_path.write_text(yaml.safe_dump(deep_merge(config, config_overrides or {})))
        self.log_path = Path(self._workdir.name) / "gateway.log"
        self.env = {
            **os.environ,
            "LITELLM_MASTER_KEY": MASTER_KEY,
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
            "PYTHONPATH": str(ROOT),
            "HF_HUB_OFFLINE": "1",
            **(env or {}),
        }
        self.process: subprocess.Popen | None = None

    def start(self, timeout_s: float = 90) -> Gateway:
        log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [str(ROOT / "scripts" / "serve"), *self.args],
            cwd=ROOT,
            env={**self.env, "CONFIG_FILE_PATH": str(self.config_path), "HOST": "127.0.0.1", "PORT": str(self.port)},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gateway exited with {self.process.returncode}:\n{self.log()[-4000:]}")
            try:
                if httpx.get(self.url("/health/liveliness"), timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"gateway did not start in {timeout_s}s:\n{self.log()[-4000:]}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def close(self) -> None:
        self.stop()
        self._workdir.cleanup()

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.master_key}"}

    def client(self, **kwargs: Any) -> openai.OpenAI:
        return openai.OpenAI(base_url=self.url("/v1"), api_key=self.master_key, max_retries=0, **kwargs)

    def async_client(self, **kwargs: Any) -> openai.AsyncOpenAI:
        return openai.AsyncOpenAI(base_url=self.url("/v1"), api_key=self.master_key, max_retries=0, **kwargs)

    def __enter__(self) -> Gateway:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@contextmanager
def emulated_backends() -> Iterator[dict[str, str]]:
    """Ollama and Gemini emulators for scripts; yields the gateway environment pointing at them."""
    from tests.conftest import backend_env
    from tests.emulators import GeminiEmulator, OllamaEmulator

    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    ollama, gemini = OllamaEmulator(), GeminiEmulator(api_key=GEMINI_KEY)
    ollama.start()
    gemini.start()
    try:
        yield backend_env(ollama, gemini)
    finally:
        ollama.stop()
        gemini.stop()
