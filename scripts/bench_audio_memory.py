"""Benchmark: what the flexible-audio scan's window and batch cost in memory and speed (issue 40).

The scan (plugins/attachments/audio_scan.py) hears `transcription.scan_window_s` seconds of audio at a
time and decodes `scan_batch_size` speech chunks (<= 30 s each) at once. Each setting below scans the same
95 MB WAV of espeak-ng speech (22.05 kHz, 16-bit mono, ~37.6 min: the largest WAV a 100 MB request
carries) with the real Whisper tiny.en weights (int8, the configured `cpu_threads`), in a fresh process
that first switches on what the gateway does at start (freed buffers returned promptly) and hears one
window (buffers sized, as after the gateway's first request). Peak RSS added is that process's
high-water mark (/proc/self/status VmHWM, reset just before the scan) minus its RSS just before: the
scan's own cost, without the request's (the upload's spooled files, the remux). Speed is audio seconds
per wall second and per CPU second (the latter moves less with other work on the host).

    .venv/bin/python scripts/bench_audio_memory.py [--settings 240x8 240x4 60x2 30x1] [--megabytes 95]

With --gateway, each setting instead runs a real gateway (emulated backends) and sends the WAV in a
flexible chat request, as scripts/bench_multipart.py --audio-sizes does: the gateway's peak RSS growth
during the request (sampled every 5 ms, after a 4 MB warm-up request), the request's time, where it went.

Goal: peak <= 128 MB, flat in the file's size, at >= 30x real time on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MB = 1024 * 1024
DEFAULT_SETTINGS = ["240x8", "240x4", "240x2", "240x1", "120x4", "60x2", "60x1", "30x1"]


def _status(key: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key):
            return int(line.split()[1]) / 1024
    return 0.0


def measure(path: str, window_s: float, batch: int) -> dict:
    """One scan of `path` with these settings, in this (fresh) process."""

    from plugins.attachments import media
    from plugins.attachments.audio_scan import hearing, scan_windows
    from plugins.attachments.audio_windows import AudioWindows, apart, max_seconds
    from plugins.attachments.transcription import Transcriber
    from plugins.platform.settings import gateway_settings
    from tests.conftest import whisper_tiny_dir

    media.release_freed_memory_promptly()  # as the gateway does at start
    settings = {**gateway_settings("transcription"), "source": whisper_tiny_dir(), "scan_window_s": window_s,
                "scan_batch_size": batch}
    model = Transcriber(settings).loaded()
    hear = hearing(model, settings)
    with open(path, "rb") as handle, AudioWindows(handle, max_seconds(), window_s=window_s, channels=True) as windows:
        for _, pcm in windows:  # one window heard first: buffers sized as after the gateway's first request
            for channel in apart(pcm):
                hear(channel)
            break
    media.release_memory()
    baseline = _status("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # the high-water mark starts again from here
    cpu, started = time.process_time(), time.perf_counter()
    with open(path, "rb") as handle, AudioWindows(handle, max_seconds(), window_s=window_s, channels=True) as windows:
        pieces, complete, audio_s, _ = scan_windows(hear, windows, float("inf"), None)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    assert complete and pieces
    return {"window_s": window_s, "batch": batch, "peak_added_mb": round(_status("VmHWM") - baseline, 1),
            "audio_s": round(audio_s), "x_real_time": round(audio_s / wall, 1),
            "audio_s_per_cpu_s": round(audio_s / cpu, 1), "wall_s": round(wall, 1)}


def through_gateway(path: Path, window: str, batch: str) -> dict:
    """The WAV sent flexible through a gateway scanning with these settings (bench_multipart's measure)."""
    import psutil

    from scripts.bench_multipart import PeakRss, speech_wav, upload_audio
    from tests.conftest import whisper_tiny_dir
    from tests.gateway_process import Gateway, emulated_backends

    overrides = {"gateway": {"transcription": {"source": whisper_tiny_dir(), "scan_window_s": float(window),
                                               "scan_batch_size": int(batch)}}}
    with emulated_backends() as env, Gateway(config_overrides=overrides, env=env) as gateway:
        warm_up = path.with_name("warm-up.wav")
        speech_wav(warm_up, 4)
        upload_audio(gateway, warm_up)
        baseline = psutil.Process(gateway.process.pid).memory_info().rss
        sampler = PeakRss(gateway.process.pid)
        sampler.start()
        started = time.perf_counter()
        went = upload_audio(gateway, path)
        elapsed = time.perf_counter() - started
        return {"window_s": float(window), "batch": int(batch), "growth_mb": round((sampler.stop() - baseline) / MB, 1),
                "request_s": round(elapsed, 1), "went": went}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--settings", nargs="*", default=DEFAULT_SETTINGS, help="WINDOWxBATCH, e.g. 240x8")
    parser.add_argument("--megabytes", type=int, default=95)
    parser.add_argument("--gateway", action="store_true", help="through a real gateway, per setting")
    parser.add_argument("--measure", nargs=3, help=argparse.SUPPRESS)  # path window batch: one run, in a child
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure[0], float(args.measure[1]), int(args.measure[2]))))
        return
    from scripts.bench_multipart import speech_wav

    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True",
           "CONFIG_FILE_PATH": os.environ.get("CONFIG_FILE_PATH", str(ROOT / "litellm_config.yaml"))}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "speech.wav"
        seconds = speech_wav(path, args.megabytes)
        print(f"{path.stat().st_size / MB:.1f} MB WAV, {seconds / 60:.1f} min of speech", flush=True)
        rows = []
        for setting in args.settings:
            window, batch = setting.split("x")
            if args.gateway:
                rows.append(through_gateway(path, window, batch))
                print(json.dumps(rows[-1]), flush=True)
                continue
            done = subprocess.run([sys.executable, __file__, "--measure", str(path), window, batch], env=env,
                                  capture_output=True, text=True, cwd=ROOT)
            if done.returncode:
                print(done.stderr[-2000:], file=sys.stderr)
                continue
            rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(json.dumps(rows[-1]), flush=True)
    if args.gateway:
        print("\n| scan_window_s | scan_batch_size | gateway peak RSS growth | request time | went |")
        print("|---|---|---|---|---|")
        for row in rows:
            print(f"| {row['window_s']:g} | {row['batch']} | {row['growth_mb']} MB | {row['request_s']} s | "
                  f"{row['went']} |")
        return
    print("\n| scan_window_s | scan_batch_size | peak RSS added | x real time (wall) | audio s per CPU s |")
    print("|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['window_s']:g} | {row['batch']} | {row['peak_added_mb']} MB | {row['x_real_time']}x | "
              f"{row['audio_s_per_cpu_s']} |")


if __name__ == "__main__":
    main()
