"""The flexible-audio sensitive-data scan as one request sees it: its budget, and a hand-over that never
leaves the scan reading the upload while something else does.

The scan runs in a worker thread and reads the spooled upload. If the request gave up on it (its
deadline passed) while that thread kept decoding, the strict transcription or the remux for Gemini
that follows would read the same file object at the same time, and both would see garbage: a
decodable MP3 answered 400 "could not be decoded". So a scan given up on is told to stop, and waited
for (at most the window it is transcribing) before anything else touches the file.

Budget: a recording's scan may take its length / `transcription.scan_min_speed` seconds, never less
than `escalation.scan_timeout_s` and never more than `transcription.scan_max_s`. What is not heard
within it counts as unscanned: the request is handled as strict and says so (`x-gateway-escalated:
unscanned-content`).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any, BinaryIO

from plugins.platform.settings import gateway_settings


def budget_s(declared_s: float | None) -> float:
    """Seconds the scan of a recording `declared_s` long may take."""
    floor = float(gateway_settings("escalation")["scan_timeout_s"])
    settings = gateway_settings("transcription")
    wanted = (declared_s or 0.0) / max(float(settings["scan_min_speed"]), 1e-6)
    return min(max(floor, wanted), max(float(settings["scan_max_s"]), floor))


def declared_length(stream: BinaryIO) -> float | None:
    """The recording's length from its header (no decoding); None when the header says nothing or the
    file does not open (the scan itself reports that)."""
    from plugins.attachments.transcription import declared_seconds, open_container
    from plugins.platform.errors import GatewayError

    try:
        container = open_container(stream)
    except GatewayError:
        return None
    try:
        track = container.streams.audio[0] if container.streams.audio else None
        return declared_seconds(container, track)
    finally:
        container.close()
        stream.seek(0)


def request_timeout_s(attachments: list[Any]) -> float:
    """The whole scan's timeout for a request: `scan_timeout_s`, or longer when it holds audio whose
    budget is longer. It fires while a window is being heard; scan_audio then stops the scan cleanly."""
    floor = float(gateway_settings("escalation")["scan_timeout_s"])
    audio = [budget_s(declared_length(item.stream)) for item in attachments if item.kind == "audio"]
    return max([floor, *audio])


async def scan_audio(stream: BinaryIO, started: float) -> tuple[str, bool]:
    """(text, heard whole) of a flexible recording, within its budget from `started`. When the request
    stops waiting, the scan is told to stop and awaited, so the file is free when this returns or raises."""
    from plugins.attachments.transcription import transcriber
    from plugins.platform.admission import local_work

    deadline = started + budget_s(declared_length(stream))
    stop = threading.Event()
    work = asyncio.ensure_future(local_work().run(transcriber().scan, stream, deadline, stop))
    try:
        return await asyncio.shield(work)
    except asyncio.CancelledError:
        stop.set()
        await asyncio.wait([work])  # the thread finishes its window and lets go of the file
        if not work.cancelled():
            work.exception()  # retrieved: the request already counts this scan as incomplete
        raise


def scan_options(settings: dict[str, Any]) -> dict[str, Any]:
    """faster-whisper's batched `transcribe` arguments for the scan (shared with bench_transcription)."""
    language = str(settings["language"] or "auto")
    tokens = min(int(settings["scan_max_new_tokens"]), 440)  # + the prompt: at most Whisper's 448
    return {"language": None if language == "auto" else language, "without_timestamps": True,
            "beam_size": int(settings["scan_beam_size"]), "batch_size": int(settings["scan_batch_size"]),
            "vad_parameters": {"min_silence_duration_ms": 160, "speech_pad_ms": int(settings["scan_vad_pad_ms"])},
            "max_new_tokens": tokens if tokens > 0 else None}


def hearing(model: Any, settings: dict[str, Any]) -> Callable[[Any], str]:
    """pcm -> its text, for the scan: VAD first (silence is not transcribed, speech padded by only
    `scan_vad_pad_ms`), the speech cut into chunks decoded `scan_batch_size` at a time, greedy
    (`scan_beam_size`), without timestamps, at most `scan_max_new_tokens` per <= 30 s chunk (a chunk that
    loops on a repetition stops there). The patterns need the words, not their times
    (docs/PERFORMANCE.md#the-flexible-audio-scan-issue-30 has what each of these saves)."""
    from faster_whisper import BatchedInferencePipeline

    pipeline = BatchedInferencePipeline(model)
    kwargs = scan_options(settings)

    def hear(pcm: Any) -> str:
        segments, _ = pipeline.transcribe(pcm, **kwargs)
        return " ".join(segment.text.strip() for segment in segments)

    return hear


def still_time(deadline: float, stop: threading.Event | None) -> bool:
    return time.monotonic() < deadline and not (stop is not None and stop.is_set())
