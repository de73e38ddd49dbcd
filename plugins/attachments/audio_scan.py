"""The flexible-audio sensitive-data scan: what it hears, within what budget, and a hand-over that never
leaves the scan reading the upload while something else does.

The scan runs in a worker thread and reads the spooled upload. If the request gave up on it (its
deadline passed) while that thread kept decoding, the strict transcription or the remux for Gemini
that follows would read the same file object at the same time, and both would see garbage: a
decodable MP3 answered 400 "could not be decoded". So a scan given up on is told to stop, and waited
for (at most the window it is transcribing) before anything else touches the file.

Budget: a recording's scan may take its length / `transcription.scan_min_speed` seconds, never less
than `escalation.scan_timeout_s` and never more than `transcription.scan_max_s`. What is not heard
within it counts as unscanned: the request is handled as strict and says so (`x-gateway-escalated:
unscanned-content`). Audio whose length, read from its header, could not be heard in the time left at
the measured speed is not transcribed at all. That speed is measured on scans of a minute of audio or
more: a short clip's fixed costs (the pipeline, voice detection, both channels of a stereo clip) would
make it look several times slower and turn every later long recording strict.

Timed (when the request may redact): the stretches of speech whose text holds a value also get their
words' times, aligned from the encoder output the scan already computed (faster-whisper's
cross-attention alignment), so audio redaction can silence them without hearing the file again.
"""

from __future__ import annotations

import asyncio
import functools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from math import ceil
from typing import Any, BinaryIO

import numpy as np
import regex

from plugins.attachments.audio_windows import (
    SAMPLE_RATE,
    WINDOW_S,
    AudioWindows,
    apart,
    declared_seconds,
    max_seconds,
    open_container,
)
from plugins.attachments.transcription import Options, as_written, transcriber
from plugins.platform.errors import GatewayError
from plugins.platform.metrics import record
from plugins.platform.settings import gateway_settings

Word = tuple[str, float, float]  # (text, start s, end s) in the file's time
MEASURED_S = 60  # the least audio a scan must have heard for its speed to predict a long recording's

# Whisper stuck on a repetition of digits ("100,000,000,000,…", "$0.00 $0.00 …") or on one spelled letter
# ("S-I-I-I-I-…", where "E S nine one …" was said): what was said there was not heard, so the recording is
# unscanned (strict), not clean. Words repeated (a chant, a chorus) are neither and leave it as it is; tones
# and music without a voice never reach Whisper (voice detection drops them).
LOOPING = regex.compile(r"((?=[^\d\n]{0,10}\d)\S.{2,11}?)\1{9,}|(?<!\p{L})(\p{Lu})(?:[-.] ?\2){7,}(?!\p{L})")


@dataclass(frozen=True)
class Piece:
    """A stretch of what the scan heard (one speech chunk): its text and, when it was timed, its words."""

    text: str
    words: tuple[Word, ...] = ()


@dataclass(frozen=True)
class Heard:
    """What the scan heard of a recording, in order, and whether that was all of it."""

    pieces: tuple[Piece, ...]
    complete: bool
    timed: bool = False  # the pieces that hold a value carry their words

    @property
    def text(self) -> str:
        """The text the patterns read (numbers also as written)."""
        return as_written(" ".join(piece.text.strip() for piece in self.pieces))


def budget_s(declared_s: float | None) -> float:
    """Seconds the scan of a recording `declared_s` long may take."""
    floor = float(gateway_settings("escalation")["scan_timeout_s"])
    settings = gateway_settings("transcription")
    wanted = (declared_s or 0.0) / max(float(settings["scan_min_speed"]), 1e-6)
    return min(max(floor, wanted), max(float(settings["scan_max_s"]), floor))


def declared_length(stream: BinaryIO) -> float | None:
    """The recording's length from its header (no decoding); None when the header says nothing or the
    file does not open (the scan itself reports that)."""
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


async def stoppable(work: Callable[..., Any], *args: Any) -> Any:
    """`work(*args, stop)` in the local-work pool. When the request stops waiting, `stop` is set and the
    work awaited (it lets go of the file within a window), so the file is free when this returns or raises."""
    from plugins.platform.admission import local_work

    stop = threading.Event()
    job = asyncio.ensure_future(local_work().run(work, *args, stop))
    try:
        return await asyncio.shield(job)
    except asyncio.CancelledError:
        stop.set()
        await asyncio.wait([job])  # the thread finishes its window and lets go of the file
        if not job.cancelled():
            job.exception()  # retrieved: the request already counts this work as incomplete
        raise


async def scan_audio(stream: BinaryIO, started: float, timed: bool = False) -> Heard:
    """What a flexible recording says, within its budget from `started` (`timed`: with the times of the
    words in stretches that hold a value)."""
    await transcriber().ready()
    return await stoppable(scan, stream, started + budget_s(declared_length(stream)), timed)


def scan(stream: BinaryIO, deadline: float, timed: bool = False, stop: threading.Event | None = None) -> Heard:
    """What an uploaded file says, read from its spooled stream: short mono audio whole, with beam search
    (its transcript is reused if the request turns strict), long audio a window at a time until `deadline`
    or `stop`."""
    model = transcriber()
    settings = model.settings
    window_s = float(settings["scan_window_s"])
    with AudioWindows(stream, max_seconds(), window_s=window_s, channels=True) as windows:
        short = windows.layout == "mono" and windows.declared is not None and windows.declared <= WINDOW_S
        if not short:
            started = time.monotonic()
            pieces, complete, audio_s, spent = scan_windows(hearing(model.loaded(), settings, timed), windows,
                                                            deadline, model.scan_speed, stop)
    if short:
        transcript = model.transcribe(stream, Options(use="scan", words=timed))
        pieces, complete = [Piece(segment.text, segment.words) for segment in transcript.segments], True
    elif audio_s and spent:
        if audio_s >= MEASURED_S:
            model.scan_speed = audio_s / spent
        record("transcription_audio_seconds", "scan", value=audio_s)
        record("transcription_seconds", "scan", value=time.monotonic() - started)
    return Heard(tuple(pieces), complete and not any(LOOPING.search(piece.text) for piece in pieces), timed)


def scan_windows(hear: Callable[[np.ndarray], list[Piece]], windows: AudioWindows, deadline: float,
                 speed: float | None, stop: threading.Event | None = None) -> tuple[list[Piece], bool, float, float]:
    """What the windows heard before `deadline` (or `stop`), in the file's time, whether that was all of
    it, and the audio and wall seconds spent (for the measured speed). With a known `speed` (audio seconds
    per second), audio that cannot be done in the time left is not started."""
    left = deadline - time.monotonic()
    if speed and windows.declared and windows.declared / speed > left:
        return [], False, 0.0, 0.0
    pieces: list[Piece] = []
    audio_s, started = 0.0, time.monotonic()
    for start, pcm in windows:
        if not still_time(deadline, stop):
            return pieces, False, audio_s, time.monotonic() - started
        for channel in apart(pcm):
            pieces += [Piece(piece.text, tuple((word, start + begin, start + end) for word, begin, end in piece.words))
                       for piece in hear(channel)]
        audio_s += pcm.shape[-1] / SAMPLE_RATE
    return pieces, True, audio_s, time.monotonic() - started


def scan_options(settings: dict[str, Any]) -> dict[str, Any]:
    """faster-whisper's batched `transcribe` arguments for the scan (shared with bench_transcription)."""
    language = str(settings["language"] or "auto")
    tokens = min(int(settings["scan_max_new_tokens"]), 440)  # + the prompt: at most Whisper's 448
    # temperature 0 only: faster-whisper's fallback re-decodes a looping chunk by sampling, so the same file
    # could be heard one way or another; a loop that stays is unscanned (LOOPING), the same every time.
    return {"language": None if language == "auto" else language, "without_timestamps": True, "temperature": 0.0,
            "beam_size": int(settings["scan_beam_size"]), "batch_size": int(settings["scan_batch_size"]),
            "vad_parameters": {"min_silence_duration_ms": 160, "speech_pad_ms": int(settings["scan_vad_pad_ms"])},
            "max_new_tokens": tokens if tokens > 0 else None}


def holds_value(text: str) -> bool:
    """Whether the patterns find anything in `text` (a speech chunk's, read as the scan reads it)."""
    from plugins.policy.detect import find_sensitive

    return bool(text.strip()) and bool(find_sensitive([as_written(text)]))


def hearing(model: Any, settings: dict[str, Any], timed: bool = False) -> Callable[[Any], list[Piece]]:
    """pcm -> what it says, for the scan: VAD first (silence is not transcribed, speech padded by only
    `scan_vad_pad_ms`), the speech cut into chunks decoded `scan_batch_size` at a time, greedy
    (`scan_beam_size`), without timestamps, at most `scan_max_new_tokens` per <= 30 s chunk (a chunk that
    loops on a repetition stops there). The patterns need the words, not their times
    (docs/PERFORMANCE.md#the-flexible-audio-scan-issue-30 has what each of these saves); `timed`: the
    chunks whose text holds a value get their words' times (docs/AUDIO.md#redaction-issue-39)."""
    pipeline = timed_pipeline()(model) if timed else _plain_pipeline(model)
    kwargs = {**scan_options(settings), "word_timestamps": timed}

    def hear(pcm: Any) -> list[Piece]:
        segments, _ = pipeline.transcribe(pcm, **kwargs)
        return [Piece(segment.text, tuple((word.word, float(word.start), float(word.end))
                                          for word in segment.words or ())) for segment in segments]

    return hear


def _plain_pipeline(model: Any) -> Any:
    from faster_whisper import BatchedInferencePipeline

    return BatchedInferencePipeline(model)


@functools.lru_cache(maxsize=1)
def timed_pipeline() -> type:
    """faster-whisper's batched pipeline, aligning words only in the chunks whose text holds a value: the
    alignment (a decoder pass over the chunk's tokens against the encoder output the batch already has)
    costs about a fifth of the scan when done for every chunk."""
    from dataclasses import replace

    import ctranslate2
    from faster_whisper import BatchedInferencePipeline

    class SelectivelyTimed(BatchedInferencePipeline):
        encoded: Any = None

        def generate_segment_batched(self, features: Any, tokenizer: Any, options: Any) -> Any:
            self.encoded, outputs = super().generate_segment_batched(features, tokenizer, options)
            return self.encoded, outputs

        def forward(self, features: Any, tokenizer: Any, chunks_metadata: Any, options: Any) -> Any:
            chunks = super().forward(features, tokenizer, chunks_metadata, replace(options, word_timestamps=False))
            for chunk in chunks:
                for part in chunk:
                    part["words"] = []
            wanted = _valued(["".join(part["text"] for part in chunk) for chunk in chunks])
            if wanted and options.word_timestamps:
                sizes = [int(ceil(meta["duration"]) * self.model.frames_per_second) for meta in chunks_metadata]
                encoded = self.encoded
                if len(wanted) < len(chunks) and encoded.device == "cpu":  # only those chunks' encoder output
                    encoded = ctranslate2.StorageView.from_array(np.asarray(encoded)[wanted])
                else:
                    wanted = list(range(len(chunks)))
                before = float(getattr(self, "last_speech_timestamp", 0.0))
                last = self.model.add_word_timestamps(
                    [chunks[index] for index in wanted], tokenizer, encoded, [sizes[index] for index in wanted],
                    options.prepend_punctuations, options.append_punctuations, before)
                self.last_speech_timestamp = before if last is None else last
            self.encoded = None
            return chunks

    return SelectivelyTimed


EDGE_CHARS = 80  # a value said across two chunks: the end of one and the start of the next, read together


def _valued(texts: list[str]) -> list[int]:
    """Indexes of the chunks to time: those whose text holds a value, and both chunks of a value said
    across their cut (found in their joined edges, not in either edge alone)."""
    wanted = {index for index, text in enumerate(texts) if holds_value(text)}
    for index in range(len(texts) - 1):
        tail, head = texts[index][-EDGE_CHARS:], texts[index + 1][:EDGE_CHARS]
        if {index, index + 1} - wanted and holds_value(f"{tail} {head}") and not holds_value(tail) \
                and not holds_value(head):
            wanted |= {index, index + 1}
    return sorted(wanted)


def still_time(deadline: float, stop: threading.Event | None) -> bool:
    return time.monotonic() < deadline and not (stop is not None and stop.is_set())
