"""Start-up: importing the plugins changes nothing; one start-up function switches things on; a typo in
the gateway's settings stops the start with the key named."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.gateway_process import ROOT, Gateway

IMPORTS = ["plugins.hook", "plugins.attachments", "plugins.pipeline", "plugins.startup", "plugins.callbacks",
           "plugins.surfaces.routes", "plugins.surfaces.request_guard", "plugins.attachments.file_api",
           "plugins.platform.shared_redis", "plugins.embeddings_provider"]


@pytest.mark.parametrize("module", IMPORTS)
def test_importing_a_plugin_changes_nothing(module):
    code = (f"import {module}, litellm\n"
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
