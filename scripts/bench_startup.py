"""Benchmark: time to a healthy proxy and idle memory, the gateway (`scripts/serve`, as a new user
starts it) against a bare LiteLLM Proxy 1.108.7 with the same six chat groups and LiteLLM's defaults.

Alternating starts, 3 of each by default, on the emulators. Idle RSS is read 10 s after healthy,
before any request (process and children).
    .venv/bin/python scripts/bench_startup.py [--starts 3]
Targets (issue #17): time to healthy <= 0.7x bare; idle RSS <= 1.2x bare.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.gateway_process import MASTER_KEY, emulated_backends, free_port  # noqa: E402

MB = 1024 * 1024


def bare_config(folder: Path) -> Path:
    """LiteLLM with the gateway's six chat groups and nothing of the gateway's."""
    config = yaml.safe_load((ROOT / "litellm_config.yaml").read_text())
    chat = [d for d in config["model_list"] if not str(d["litellm_params"]["model"]).startswith("embedding_server")]
    path = folder / "bare.yaml"
    path.write_text(yaml.safe_dump({"model_list": chat, "general_settings": {"master_key": MASTER_KEY}}))
    return path


def start(command: list[str], env: dict[str, str], port: int) -> tuple[float, int]:
    """(seconds to a healthy /health/liveliness, idle RSS bytes 10 s later)."""
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{command[0]} exited with {process.returncode}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health/liveliness", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        healthy = time.monotonic() - started
        time.sleep(10)
        parent = psutil.Process(process.pid)
        rss = sum(proc.memory_info().rss for proc in [parent, *parent.children(recursive=True)])
        return healthy, rss
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=3)
    args = parser.parse_args()
    results: dict[str, list[tuple[float, int]]] = {"gateway": [], "bare": []}
    with emulated_backends() as backends, tempfile.TemporaryDirectory() as folder:
        base = {key: value for key, value in os.environ.items() if key != "LITELLM_LOCAL_MODEL_COST_MAP"}
        base.update(backends, LITELLM_MASTER_KEY=MASTER_KEY, PYTHONPATH=str(ROOT))
        for _ in range(args.starts):
            port = free_port()
            results["gateway"].append(start([str(ROOT / "scripts" / "serve")], {
                **base, "HOST": "127.0.0.1", "PORT": str(port)}, port))
            port = free_port()
            results["bare"].append(start([str(ROOT / ".venv" / "bin" / "litellm"), "--config",
                                          str(bare_config(Path(folder))), "--host", "127.0.0.1", "--port", str(port)],
                                         base, port))
    print("| | time to healthy (median s) | idle RSS (median MB) |\n|---|---|---|")
    medians = {}
    for name, runs in results.items():
        medians[name] = (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs) / MB)
        print(f"| {name} | {medians[name][0]:.1f} | {medians[name][1]:.0f} |")
    print(f"| ratio gateway/bare | {medians['gateway'][0] / medians['bare'][0]:.2f} | "
          f"{medians['gateway'][1] / medians['bare'][1]:.2f} |")


if __name__ == "__main__":
    main()
