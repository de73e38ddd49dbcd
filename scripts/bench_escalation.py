"""Benchmark: latency added by sensitive-data checks, as a ratio against the same request with the
checks off, for a text-only request and for a request with a 1 MB image; then the three outcomes
for requests that hold an IBAN (escalate to the local model, redact and send to Gemini, checks off);
then /health latency (p50, p95) while a 1 MB pathological text is being scanned, against idle.

Gateways run side by side on the same emulators. A re-sent image hits the scan cache (issue #17).
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

IBAN = "ES9121000418450200051332"
CLEAN = "Summarise the history of the printing press in Europe."


def text_request(gateway: Gateway, text: str = CLEAN) -> None:
    body = {"model": "auto", "privacy_mode": "flexible", "messages": [{"role": "user", "content": text}]}
    requests.post(gateway.url("/v1/chat/completions"), json=body, headers=gateway.auth, timeout=120).raise_for_status()


def image_request(gateway: Gateway, image: bytes) -> None:
    parts = [{"type": "text", "text": "Describe"}, {"type": "image", "file_index": 0}]
    messages = json.dumps([{"role": "user", "content": parts}])
    fields = {"task": "vision", "privacy_mode": "flexible", "messages": messages}
    requests.post(gateway.url("/v1/chat/completions"), data=fields, headers=gateway.auth, timeout=120,
                  files=[("files", ("photo.jpg", image, "image/jpeg"))]).raise_for_status()


def image_with_iban(min_bytes: int) -> bytes:
    """A 1 MB noisy JPEG with an IBAN written on a white band."""
    import io

    from PIL import Image, ImageDraw, ImageFont

    image = Image.open(io.BytesIO(media.noisy_jpeg(min_bytes, seed=9)))
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, image.width, 90], fill="white")
    draw.text((20, 25), f"IBAN {IBAN}", fill="black", font=ImageFont.load_default(size=36))
    output = io.BytesIO()
    image.save(output, format="JPEG", quality=95)
    return output.getvalue()


def health_ms(gateway: Gateway, seconds: float) -> list[float]:
    """/health/liveliness latencies, polled every 20 ms for `seconds`."""
    timings, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.perf_counter()
        requests.get(gateway.url("/health/liveliness"), timeout=60).raise_for_status()
        timings.append(1000 * (time.perf_counter() - started))
        time.sleep(0.02)
    return timings


def health_while_scanning(gateway: Gateway, seconds: float) -> None:
    """p50/p95 of /health idle, then while 1 MB texts that a naive email pattern reads in quadratic time are
    scanned back to back."""
    import threading

    payloads = {"a.": "a." * 500_000, "a.b@": "a.b@" * 250_000, "x@y.z-": "x@y.z-" * 170_000}
    idle = health_ms(gateway, seconds)
    print("\n| /health while scanning | p50 | p95 | scans done |")
    print("|---|---|---|---|")
    print(f"| idle | {statistics.median(idle):.1f} ms | {percentile(idle, 95):.1f} ms | - |")
    for name, payload in payloads.items():
        stop, done = threading.Event(), []
        worker = threading.Thread(target=scan_until, args=(gateway, payload, stop, done))
        worker.start()
        busy = health_ms(gateway, seconds)
        stop.set()
        worker.join()
        print(f"| 1 MB of {name!r} | {statistics.median(busy):.1f} ms | {percentile(busy, 95):.1f} ms | {len(done)} |")


def scan_until(gateway: Gateway, text: str, stop, done: list) -> None:
    while not stop.is_set():
        text_request(gateway, text)
        done.append(1)


def percentile(values: list[float], rank: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * rank / 100))]


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
    parser.add_argument("--health-seconds", type=float, default=10)
    args = parser.parse_args()
    image = media.noisy_jpeg(1024 * 1024, seed=7)
    with (emulated_backends() as env, Gateway(env=env) as on,
          Gateway(config_overrides={"gateway": {"escalation": {"enabled": False}}}, env=env) as off):
        print("| request | escalation off | escalation on | ratio on/off |")
        print("|---|---|---|---|")
        long_text = " ".join([CLEAN] * 2000)  # ~110 KB of ordinary prose
        for name, call in (("text only", text_request), ("110 KB text", lambda g: text_request(g, long_text)),
                           ("1 MB image", lambda g: image_request(g, image))):
            without = median_ms(functools.partial(call, off), args.rounds)
            with_checks = median_ms(functools.partial(call, on), args.rounds)
            print(f"| {name} | {without:.1f} ms | {with_checks:.1f} ms | {with_checks / without:.2f} |")
        with Gateway(config_overrides={"gateway": {"escalation": {"action": "redact"}}}, env=env) as redact:
            sensitive_image = image_with_iban(1024 * 1024)
            print("\n| request with an IBAN | checks off (Gemini) | escalate (local) | redact (Gemini) |")
            print("|---|---|---|---|")
            for name, call in (("text", lambda g: text_request(g, f"Pay {IBAN} today")),
                               ("1 MB image", lambda g: image_request(g, sensitive_image))):
                timings = [median_ms(functools.partial(call, gateway), args.rounds) for gateway in (off, on, redact)]
                print(f"| {name} | " + " | ".join(f"{value:.1f} ms" for value in timings) + " |")
        health_while_scanning(on, args.health_seconds)


if __name__ == "__main__":
    main()
