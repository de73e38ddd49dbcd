"""The deployment artefacts, proved by their scripts (docs/DEPLOY.md). Both are slow and stay out of the
default run: the chart check installs Helm's SDK into a venv of its own on first use; deploy_check builds
the image and runs the whole compose stack (minutes to tens of minutes, needs root and a docker daemon)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_the_helm_chart_renders_and_validates_against_the_kubernetes_schemas():
    run = subprocess.run([str(ROOT / "scripts" / "chart_check")], capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.count("ok: ") == 3, run.stdout


@pytest.mark.slow
@pytest.mark.timeout(7200)
@pytest.mark.skipif(shutil.which("docker") is None or os.geteuid() != 0, reason="needs docker and root")
def test_the_compose_stack_serves_the_seed_examples_shares_keys_and_survives_a_replica_kill():
    run = subprocess.run([str(ROOT / "scripts" / "deploy_check")], capture_output=True, text=True, timeout=7000)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    assert "all checks passed" in run.stdout
