"""Load benchmark: the gateway under a mixed load, its memory across rounds, and the latency its
plugins add over a bare LiteLLM Proxy on the same emulator, measured side by side in one run.

    .venv/bin/python scripts/bench_load.py [--requests 1000] [--concurrency 32]

Targets (issue #5): 0 errors; RSS after a second round flat within 10 %; plugins add <= 5 % to
the median latency of a plain chat request.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import media  # noqa: E402
from tests.gateway_process import ROOT, Gateway, emulated_backends  # noqa: E402

HELLO = [{"role": "user", "content": "hello there"}]


def request_mix(index: int) -> dict:
    """Every 4th request is multipart, every 8th an embedding; the rest JSON chat, strict and flexible."""
    if index % 8 == 7:
        return {"url": "/v1/embeddings", "json": {"model": "bge-m3", "input": [f"text {index}"]}}
    if index % 4 == 3:
        parts = [{"type": "text", "text": f"describe {index}"}, {"type": "image", "file_index": 0}]
        return {"url": "/v1/chat/completions",
                "data": {"task": "vision", "privacy_mode": "strict", "messages": json.dumps(
                    [{"role": "user", "content": parts}])},
                "files": {"files": ("a.png", media.png(), "image/png")}}
    privacy = "strict" if index % 2 else "flexible"
    return {"url": "/v1/chat/completions",
            "json": {"model": "auto", "privacy_mode": privacy,
                     "messages": [{"role": "user", "content": f"hi {index}"}]}}


async def run_round(gateway: Gateway, total: int, concurrency: int) -> dict:
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    errors: list[str] = []

    async def one(client: httpx.AsyncClient, index: int) -> None:
        spec = request_mix(index)
        async with gate:
            started = time.perf_counter()
            try:
                response = await client.post(spec.pop("url"), **spec)
                if response.status_code != 200:
                    errors.append(f"{response.status_code}: {response.text[:120]}")
            except httpx.HTTPError as error:
                errors.append(repr(error))
            latencies.append(time.perf_counter() - started)

    async with httpx.AsyncClient(base_url=gateway.base_url, headers=gateway.auth, timeout=120,
                                 limits=httpx.Limits(max_connections=concurrency)) as client:
        started = time.perf_counter()
        await asyncio.gather(*(one(client, index) for index in range(total)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {"errors": len(errors), "first_errors": errors[:3], "p50_ms": 1000 * statistics.median(latencies),
            "p95_ms": 1000 * latencies[int(0.95 * len(latencies)) - 1], "rps": total / elapsed}


def bare_proxy_config() -> dict:
    """The same chat model groups with no gateway plugins: LiteLLM Proxy as it comes."""
    config = yaml.safe_load((ROOT / "litellm_config.yaml").read_text())
    return {"model_list": [entry for entry in config["model_list"] if "-strict" in entry["model_name"]
                           or "-flexible" in entry["model_name"]],
            "general_settings": {"master_key": "os.environ/LITELLM_MASTER_KEY"}}


async def added_latency(gateway: Gateway, bare: Gateway, rounds: int) -> tuple[float, float, float]:
    body = {"model": "chat-strict", "messages": HELLO}
    timings: dict[str, list[float]] = {"gateway": [], "bare": []}
    async with httpx.AsyncClient(timeout=60) as client:
        for round_number in range(rounds + 10):
            for name, target in (("gateway", gateway), ("bare", bare)):
                started = time.perf_counter()
                response = await client.post(target.url("/v1/chat/completions"), json=body, headers=target.auth)
                response.raise_for_status()
                if round_number >= 10:  # warm-up
                    timings[name].append(time.perf_counter() - started)
    with_plugins, without = statistics.median(timings["gateway"]), statistics.median(timings["bare"])
    return 1000 * with_plugins, 1000 * without, with_plugins / without


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--latency-rounds", type=int, default=200)
    args = parser.parse_args()
    overrides = {}
    if os.environ.get("BENCH_TINY_MODELS", "1") == "1":
        from tests.tiny_models import tiny_model_overrides

        overrides = tiny_model_overrides(Path(tempfile.mkdtemp(prefix="bench-models-")))
    with emulated_backends() as env, Gateway(config_overrides=overrides, env=env) as gateway:
        bare = Gateway(env=env)
        bare.config_path.write_text(yaml.safe_dump(bare_proxy_config()))
        with bare:
            measure(gateway, bare, args)


def measure(gateway: Gateway, bare: Gateway, args: argparse.Namespace) -> None:
    """Two rounds of mixed load (memory after each), then the plugins' added latency."""
    process = psutil.Process(gateway.process.pid)
    rss = [process.memory_info().rss]
    for round_number in (1, 2):
        result = asyncio.run(run_round(gateway, args.requests, args.concurrency))
        rss.append(process.memory_info().rss)
        print(f"round {round_number}: {args.requests} requests, concurrency {args.concurrency}: "
              f"errors {result['errors']} {result['first_errors']}, p50 {result['p50_ms']:.1f} ms, "
              f"p95 {result['p95_ms']:.1f} ms, {result['rps']:.1f} req/s")
    mb = [value / 2**20 for value in rss]
    print(f"gateway RSS: before {mb[0]:.0f} MB, after round 1 {mb[1]:.0f} MB, after round 2 {mb[2]:.0f} MB "
          f"(round 2 vs round 1: {100 * (mb[2] - mb[1]) / mb[1]:+.1f} %)")
    with_plugins, without, ratio = asyncio.run(added_latency(gateway, bare, args.latency_rounds))
    print(f"median chat latency, same emulator: gateway {with_plugins:.2f} ms, bare LiteLLM Proxy "
          f"{without:.2f} ms, ratio {ratio:.3f} (plugins add {100 * (ratio - 1):+.1f} %)")


if __name__ == "__main__":
    main()
