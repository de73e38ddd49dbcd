"""Start-up: importing the plugins changes nothing; one start-up function switches things on; a typo in
the gateway's settings stops the start with the key named."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time

import pytest

from tests.gateway_process import ROOT, Gateway

IMPORTS = ["plugins.hook", "plugins.attachments", "plugins.pipeline", "plugins.startup", "plugins.callbacks",
           "plugins.surfaces.routes", "plugins.surfaces.request_guard", "plugins.attachments.file_api",
           "plugins.platform.shared_redis", "plugins.embeddings_provider"]


def test_importing_the_plugins_changes_nothing():
    code = (f"import {', '.join(IMPORTS)}, litellm\n"
            "from litellm.proxy.proxy_server import app\n"
            "assert litellm.cache is None, litellm.cache\n"
            "assert not any(getattr(r, 'path', '') == '/v1/route/explain' for r in app.router.routes)\n"
            "print('clean')")
    env = {**os.environ, "REDIS_URL": "redis://127.0.0.1:6379/0", "LITELLM_LOCAL_MODEL_COST_MAP": "True",
           "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0 and "clean" in result.stdout, result.stderr[-2000:]


def test_a_typo_in_the_gateway_settings_stops_the_start(ollama, gemini, tiny_models):
    from tests.conftest import backend_env
    from tests.gateway_process import deep_merge

    gateway = Gateway(config_overrides=deep_merge(tiny_models, {"gateway": {"escalation": {"ocr_max_pagse": 3}}}),
                      env=backend_env(ollama, gemini))
    with pytest.raises(RuntimeError) as failed:
        gateway.start(timeout_s=90)
    gateway.close()
    assert "gateway.escalation.ocr_max_pagse" in str(failed.value)


def test_no_outbound_call_at_start(ollama, gemini, tiny_models):
    """Every proxy variable points at a recording stand-in: nothing is contacted before the first request
    (no remote price map, no telemetry, no version check, no model hub)."""
    from tests.conftest import backend_env
    from tests.gateway_process import deep_merge

    contacted: list[bytes] = []
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.2)
    stop = threading.Event()

    def record() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                continue
            with connection:
                connection.settimeout(1)
                try:
                    contacted.append(connection.recv(4096))
                except OSError:
                    contacted.append(b"")

    thread = threading.Thread(target=record, daemon=True)
    thread.start()
    proxy = f"http://127.0.0.1:{listener.getsockname()[1]}"
    env = {**backend_env(ollama, gemini), "LITELLM_LOCAL_MODEL_COST_MAP": "", "HF_HUB_OFFLINE": "",
           **{name: proxy for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
                                       "all_proxy")},
           "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
    gateway = Gateway(config_overrides=deep_merge(tiny_models, {}), env=env)
    try:
        gateway.start()
        time.sleep(5)  # background start-up work (model loading, schedulers) has had its chance
        assert contacted == [], contacted
    finally:
        stop.set()
        gateway.close()
        listener.close()


MODEL_LIBRARIES = ("libtorch", "libctranslate2", "libavcodec", "libonnxruntime", "libpdfium")


def loaded_libraries(pid: int) -> set[str]:
    """Shared libraries mapped by the process and its children (what has been imported, seen from outside)."""
    import psutil

    names = set()
    for process in [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]:
        with open(f"/proc/{process.pid}/maps") as maps:
            names.update(line.rsplit("/", 1)[-1].strip() for line in maps if ".so" in line)
    return names


def test_an_idle_gateway_without_weights_imports_no_model_library(ollama, gemini):
    """Models load when configured and present; with none downloaded (the real config, offline), torch,
    CTranslate2, PyAV, onnxruntime and pdfium stay unimported until a feature needs them."""
    from tests.conftest import backend_env

    with Gateway(env=backend_env(ollama, gemini)) as gateway:
        time.sleep(3)  # the background loads have found no weights
        loaded = {name for name in loaded_libraries(gateway.process.pid) if name.startswith(MODEL_LIBRARIES)}
        assert loaded == set(), loaded
        refused = gateway.client().embeddings.with_raw_response
        import openai

        with pytest.raises(openai.InternalServerError) as missing:  # 503: not downloaded, named
            refused.create(model="bge-m3", input=["hello"])
        assert "scripts/download_models" in str(missing.value)
        assert not {name for name in loaded_libraries(gateway.process.pid) if name.startswith("libtorch")}
