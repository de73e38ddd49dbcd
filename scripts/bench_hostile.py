"""Benchmark: gateway memory and /health latency under hostile input.

(a) 8 concurrent page-bomb PDFs (one 14400 x 14400 pt page), strict and flexible;
(b) an unauthenticated 1 GB chunked body; (c) 50 concurrent 10 MB multipart uploads (flexible:
File API); (d) one 2-page flexible PDF (a text page, a page showing a photo), made into page images and
each OCR'd twice (issue 40). /health is probed every 50 ms throughout each scenario.

Runs the real gateway against the emulators in tests/emulators. Usage:
    .venv/bin/python scripts/bench_hostile.py [--unauth-gb 1] [--only "2-page PDF"]
Targets (issues #13, #40): RSS growth <= 512 MB for (a) and (d), <= 32 MB for (b); no errors but the
designed 4xx; /health p95 <= 200 ms throughout.
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.bench_multipart import PeakRss  # noqa: E402
from tests import media  # noqa: E402
from tests.gateway_process import Gateway, emulated_backends  # noqa: E402
from tests.tiny_models import tiny_model_overrides  # noqa: E402

MB = 1024 * 1024


class HealthProbe(threading.Thread):
    """GET /health every 50 ms; keeps the latencies."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url, self.latencies, self.failures, self.running = url, [], 0, True

    def run(self) -> None:
        with httpx.Client(timeout=5) as client:
            while self.running:
                started = time.monotonic()
                try:
                    ok = client.get(self.url).status_code == 200
                except httpx.HTTPError:
                    ok = False
                self.latencies.append(time.monotonic() - started)
                self.failures += not ok
                time.sleep(0.05)

    def stop(self) -> dict:
        self.running = False
        self.join()
        ordered = sorted(self.latencies)
        p95 = ordered[int(len(ordered) * 0.95) - 1] if ordered else float("nan")
        return {"health_p95_ms": round(p95 * 1000, 1), "health_failures": self.failures}


def scenario(gateway: Gateway, name: str, work) -> dict:
    rss = PeakRss(gateway.process.pid)
    probe = HealthProbe(gateway.url("/health/liveliness"))
    before = rss.process.memory_info().rss
    rss.start()
    probe.start()
    started = time.monotonic()
    statuses = work()
    seconds = time.monotonic() - started
    peak = rss.stop()
    result = {"scenario": name, "rss_growth_mb": round((peak - before) / MB, 1), "rss_before_mb": round(before / MB),
              "rss_peak_mb": round(peak / MB), "seconds": round(seconds, 1),
              "statuses": dict(sorted(collections.Counter(statuses).items())), **probe.stop()}
    print(json.dumps(result), flush=True)
    return result


def pdf_bombs(gateway: Gateway, privacy: str) -> list[int]:
    data = media.page_bomb_pdf()
    parts = [{"type": "text", "text": "Read"}, {"type": "file", "file_index": 0}]

    def send(_):
        return httpx.post(gateway.url("/v1/chat/completions"), headers=gateway.auth, timeout=300, data={
            "task": "vision", "privacy_mode": privacy, "messages": json.dumps([{"role": "user", "content": parts}])},
            files={"files": ("bomb.pdf", data, "application/pdf")}).status_code

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        return list(pool.map(send, range(8)))


def unauthenticated(gateway: Gateway, gigabytes: float) -> list[int]:
    block = b"x" * MB

    def body():
        for _ in range(int(gigabytes * 1024)):
            yield block

    try:
        return [httpx.post(gateway.url("/v1/embeddings/text"), content=body(), timeout=120,
                           headers={"content-type": "application/json"}).status_code]
    except httpx.HTTPError:  # answered 401 and closed while the client was still sending
        return [401]


def uploads(gateway: Gateway) -> list[int]:
    data = media.mp3(10 * MB, seed=5)
    parts = [{"type": "text", "text": "Listen"}, {"type": "audio", "file_index": 0}]

    def send(index: int):
        return httpx.post(gateway.url("/v1/chat/completions"), headers=gateway.auth, timeout=300, data={
            "privacy_mode": "flexible", "messages": json.dumps([{"role": "user", "content": parts}])},
            files={"files": (f"a{index}.mp3", data + bytes([index]), "audio/mpeg")}).status_code

    with concurrent.futures.ThreadPoolExecutor(50) as pool:
        return list(pool.map(send, range(50)))


def two_page_pdf(gateway: Gateway, number: int = 0) -> list[int]:
    """One flexible request carrying a PDF of a text page and a photo page (issue 40's 0.67 GB); `number`
    changes its bytes, so no scan verdict is reused."""
    data = media.pdf_document([("text", f"Minutes of the garden committee, meeting {number}."),
                               ("image", media.photo_with_text(1, "OPEN 9 - 17"))])
    parts = [{"type": "text", "text": "Summarise"}, {"type": "file", "file_index": 0}]
    return [httpx.post(gateway.url("/v1/chat/completions"), headers=gateway.auth, timeout=300, data={
        "task": "ocr", "privacy_mode": "flexible", "messages": json.dumps([{"role": "user", "content": parts}])},
        files={"files": ("minutes.pdf", data, "application/pdf")}).status_code]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--unauth-gb", type=float, default=1.0)
    parser.add_argument("--only", help="run the scenarios whose name holds this text")
    args = parser.parse_args()
    with emulated_backends() as env, tempfile.TemporaryDirectory() as models, \
            Gateway(config_overrides=tiny_model_overrides(Path(models)), env=env) as gateway:
        scenarios = {
            "2-page PDF (text + photo page), flexible, first scan": lambda: two_page_pdf(gateway, 1),
            "2-page PDF (text + photo page), flexible, again": lambda: two_page_pdf(gateway, 2),
            "8 page-bomb PDFs, strict": lambda: pdf_bombs(gateway, "strict"),
            "8 page-bomb PDFs, flexible": lambda: pdf_bombs(gateway, "flexible"),
            f"unauthenticated {args.unauth_gb} GB chunked body": lambda: unauthenticated(gateway, args.unauth_gb),
            "50 concurrent 10 MB uploads": lambda: uploads(gateway),
        }
        results = [scenario(gateway, name, work) for name, work in scenarios.items()
                   if not args.only or args.only in name]
    print("\n| scenario | RSS growth (MB) | RSS before, peak (MB) | statuses | /health p95 (ms) | seconds |\n"
          "|---|---|---|---|---|---|")
    for result in results:
        print(f"| {result['scenario']} | {result['rss_growth_mb']} | {result['rss_before_mb']}, "
              f"{result['rss_peak_mb']} | {result['statuses']} | {result['health_p95_ms']} | {result['seconds']} |")


if __name__ == "__main__":
    main()
