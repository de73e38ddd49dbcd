"""Benchmark: latency added by sensitive-data escalation checks, as a ratio against the same
request with escalation off, for a text-only request and for a request with a 1 MB image.

Two gateways (escalation on / off) run side by side on the same emulators, requests alternate.
    .venv/bin/python scripts/bench_escalation.py [--rounds 20]
"""

from __future__ import annotations

import argparse
import functools
import json
import statistics
import sys
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import media  # noqa: E402
from tests.gateway_process import Gateway, emulated_backends  # noqa: E402


def text_request(gateway: Gateway) -> None:
    body = {"model": "auto", "privacy_mode": "flexible",
            "messages": [{"role": "user", "content": "Summarise the history of the printing press in Europe."}]}
    requests.post(gateway.url("/v1/chat/completions"), json=body, headers=gateway.auth, timeout=120).raise_for_status()


def image_request(gateway: Gateway, image: bytes) -> None:
    parts = [{"type": "text", "text": "Describe"}, {"type": "image", "file_index": 0}]
    messages = json.dumps([{"role": "user", "content": parts}])
    fields = {"task": "vision", "privacy_mode": "flexible", "messages": messages}
    requests.post(gateway.url("/v1/chat/completions"), data=fields, headers=gateway.auth, timeout=120,
                  files=[("files", ("photo.jpg", image, "image/jpeg"))]).raise_for_status()


def median_ms(call, rounds: int) -> float:
    call()  # warm-up (OCR engine load, connection)
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        call()
        timings.append(time.perf_counter() - started)
    return 1000 * statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    image = media.noisy_jpeg(1024 * 1024, seed=7)
    with (emulated_backends() as env, Gateway(env=env) as on,
          Gateway(config_overrides={"gateway": {"escalation": {"enabled": False}}}, env=env) as off):
        print("| request | escalation off | escalation on | ratio on/off |")
        print("|---|---|---|---|")
        for name, call in (("text only", text_request), ("1 MB image", lambda g: image_request(g, image))):
            without = median_ms(functools.partial(call, off), args.rounds)
            with_checks = median_ms(functools.partial(call, on), args.rounds)
            print(f"| {name} | {without:.1f} ms | {with_checks:.1f} ms | {with_checks / without:.2f} |")


if __name__ == "__main__":
    main()
