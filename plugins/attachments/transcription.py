"""Local speech-to-text with faster-whisper: one model per process, loaded in a worker thread.

Strict audio and video, the flexible-audio sensitive-data scan and `/v1/audio/transcriptions`
all use this model, so nothing spoken leaves the machine to be understood. Audio is decoded
with PyAV; its length is read from the container header, and counted again while decoding, so
an over-long file is refused (413) before it is decoded whole.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import hashlib
import io
import logging
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from plugins.attachments.audio_windows import OVERLAP_S, SAMPLE_RATE, AudioWindows, max_seconds
from plugins.platform.errors import GatewayError
from plugins.platform.metrics import record
from plugins.platform.settings import gateway_settings
from plugins.platform.whisper_source import resolve_source, whisper_present

DOWNLOAD_HINT = "run scripts/download_models transcription (or set gateway.transcription.source to a model directory)"
RECENT_S = 120  # a transcript is reused this long: a scanned-then-escalated file is transcribed once
logger = logging.getLogger("gateway.transcription")


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str
    tokens: tuple[int, ...] = ()
    avg_logprob: float = 0.0
    no_speech_prob: float = 0.0
    compression_ratio: float = 0.0
    temperature: float = 0.0
    words: tuple[tuple[str, float, float], ...] = ()


@dataclass(frozen=True)
class Transcript:
    text: str
    segments: tuple[Segment, ...]
    duration: float
    language: str

    def timed_text(self) -> str:
        """One line per segment, `[m:ss-m:ss] text`."""
        return "\n".join(f"[{clock(s.start)}-{clock(s.end)}] {s.text.strip()}" for s in self.segments)


@dataclass(frozen=True)
class Options:
    """Per-request choices; None means the configured default."""

    language: str | None = None
    prompt: str | None = None
    temperature: float | None = None
    task: str = "transcribe"
    words: bool = False
    use: str = field(default="chat", compare=False)  # metrics label: strict | scan | api


# "zero" as Whisper mishears it inside a dictated number ("41845nero Nero Nero", "12100neero-4048"): a word
# glued to a digit, and the words after it, each at most two edits from "zero", are the zeros they stand for.
GLUED_WORDS = re.compile(r"(?<=\d)[a-z]{2,6}(?:[ \-]?[a-z]{2,6}\b)*", re.IGNORECASE)


def _edits(word: str, target: str = "zero") -> int:
    """Levenshtein distance from `word` to `target` (short words only)."""
    row = list(range(len(target) + 1))
    for index, char in enumerate(word.lower(), 1):
        previous, row[0] = row[0], index
        for column, wanted in enumerate(target, 1):
            previous, row[column] = row[column], min(row[column] + 1, row[column - 1] + 1,
                                                     previous + (char != wanted))
    return row[-1]


def _zeros(glued: re.Match) -> str:
    parts = re.split(r"([ \-])", glued.group(0))  # words at even places, their separators between
    for index in range(0, len(parts), 2):
        if _edits(parts[index]) > 2:
            break
        parts[index] = "0"
    return "".join(parts)


def as_written(text: str) -> str:
    """A transcript plus its digits as they would be written, for the sensitive-data patterns: Whisper
    renders a spoken number as "612, 345, 678" or "plus 34", the patterns expect "612 345 678" and "+34";
    a "zero" it heard as "nero" between digits is a 0."""
    written = re.sub(r"(?<=\d)[,.] (?=\d)", " ", re.sub(r"\bplus (?=\d)", "+", text, flags=re.IGNORECASE))
    written = GLUED_WORDS.sub(_zeros, written)
    return text if written == text else f"{text}\n{written}"


def clock(seconds: float) -> str:
    minutes, rest = divmod(int(round(seconds)), 60)
    return f"{minutes // 60}:{minutes % 60:02d}:{rest:02d}" if minutes >= 60 else f"{minutes}:{rest:02d}"


def resolve_placement(device: str, compute_type: str) -> tuple[str, int, str]:
    """(device, index, compute_type) from the config: auto = CUDA with float16 when CTranslate2 sees a GPU,
    else CPU with int8."""
    import ctranslate2

    device = (device or "auto").strip().lower()
    if device == "auto":
        device = "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
    kind, _, index = device.partition(":")
    if kind not in ("cpu", "cuda") or (index and not index.isdigit()):
        raise ValueError(f"gateway.transcription.device must be auto, cpu or cuda[:N], got {device!r}")
    chosen = (compute_type or "auto").strip().lower()
    if chosen == "auto":
        chosen = "float16" if kind == "cuda" else "int8"
    return kind, int(index or 0), chosen


class Transcriber:
    """The configured Whisper model: loaded once (retried after a failure), used from the local-work pool."""

    def __init__(self, settings: dict[str, Any]) -> None:
        self.settings = settings
        self.model: Any = None
        self._executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="transcription")
        self._lock = threading.Lock()
        self._load: concurrent.futures.Future | None = None
        self._failed_at = 0.0
        self._recent: dict[str, tuple[float, concurrent.futures.Future, bool]] = {}
        self.scan_speed: float | None = None  # audio seconds transcribed per second, measured by long scans

    def start_loading(self) -> concurrent.futures.Future:
        with self._lock:
            load = self._load
            failed = load is not None and load.done() and load.exception() is not None
            retry = float(self.settings["retry_load_after_s"])
            if load is None or (failed and time.monotonic() - self._failed_at >= retry):
                load = self._load = self._executor.submit(self._load_model)
            return load

    def _load_model(self) -> Any:
        source = resolve_source(str(self.settings["source"]), str(self.settings["device"]))
        try:
            if not whisper_present(source):  # checked before faster_whisper is imported: nothing loads for nothing
                raise FileNotFoundError(f"{source} is not downloaded")
            from faster_whisper import WhisperModel

            local = Path(source).expanduser()
            device, index, compute_type = resolve_placement(self.settings["device"], self.settings["compute_type"])
            model = WhisperModel(str(local) if local.is_dir() else source, device=device, device_index=index,
                                 compute_type=compute_type, cpu_threads=int(self.settings["cpu_threads"]),
                                 local_files_only=True)
        except Exception as error:
            self._failed_at = time.monotonic()
            missing = isinstance(error, FileNotFoundError)  # huggingface_hub's LocalEntryNotFoundError included
            reason = "is not downloaded" if missing else f"failed to load ({type(error).__name__}: {error})"
            logger.warning("transcription model %s %s", source, reason)
            raise GatewayError(503, f"The transcription model '{source}' {reason}: {DOWNLOAD_HINT}. Audio and "
                               "video are never sent elsewhere to be transcribed.", code="model_unavailable") from None
        self.model = model
        return model

    @property
    def state(self) -> str:
        """loaded | loading | failed | not loaded (lazy, model here) | missing (lazy, model not here)."""
        load = self._load
        if self.model is not None:
            return "loaded"
        if load is not None:
            return "failed" if load.done() else "loading"
        source = resolve_source(str(self.settings["source"]), str(self.settings["device"]))
        return "not loaded" if whisper_present(source) else "missing"

    async def ready(self) -> Any:
        """The loaded model, waiting for the load without blocking the event loop; 503 when it cannot load."""
        return self.model if self.model is not None else await asyncio.wrap_future(self.start_loading())

    def loaded(self) -> Any:
        """The same, from a worker thread."""
        return self.model if self.model is not None else self.start_loading().result()

    def transcribe(self, data: bytes | BinaryIO, options: Options) -> Transcript:
        """Decode (bounded, a window at a time) and transcribe, in the calling worker thread. The same bytes
        and options within RECENT_S reuse the first result, even while it is still being computed; a result
        with word times also serves a request that does not ask for them (the scan of a short clip times its
        words for redaction, and the strict transcript that may follow reuses it)."""
        if isinstance(data, bytes):
            digest = hashlib.sha256(data)
        else:  # a spooled upload, hashed a megabyte at a time
            digest, _ = hashlib.sha256(), data.seek(0)
            while chunk := data.read(1 << 20):
                digest.update(chunk)
        chosen = (options.language, options.prompt, options.temperature, options.task)
        digest.update(repr(chosen).encode())
        key = digest.hexdigest()
        with self._lock:
            now = time.monotonic()
            self._recent = {name: entry for name, entry in self._recent.items() if entry[0] > now}
            entry = self._recent.get(key)
            owner = entry is None or (options.words and not entry[2])
            if owner:
                entry = (now + RECENT_S, concurrent.futures.Future(), options.words)
                self._recent[key] = entry
        assert entry is not None
        if not owner:
            return entry[1].result()
        try:
            transcript = self._run(data, options)
        except BaseException as error:
            entry[1].set_exception(error)
            with self._lock:
                if self._recent.get(key) is entry:
                    self._recent.pop(key, None)
            raise
        entry[1].set_result(transcript)
        return transcript

    def _kwargs(self, options: Options) -> dict[str, Any]:
        language = options.language or str(self.settings["language"] or "auto")
        kwargs: dict[str, Any] = {"language": None if language == "auto" else language, "task": options.task,
                                  "beam_size": int(self.settings["beam_size"]), "initial_prompt": options.prompt,
                                  "word_timestamps": options.words, "vad_filter": bool(self.settings["vad"])}
        if options.temperature is not None:
            kwargs["temperature"] = options.temperature
        elif options.use == "scan":  # no sampling fallback: the scan hears a file the same way every time
            kwargs["temperature"] = 0.0
        return kwargs

    def _run(self, data: bytes | BinaryIO, options: Options) -> Transcript:
        """A file a window at a time (audio_windows), its segments stitched at the middle of each overlap,
        so a long recording never sits in memory decoded whole."""
        model, started, kwargs = self.loaded(), time.monotonic(), self._kwargs(options)
        kept: list[Segment] = []
        language, duration = "", 0.0
        with AudioWindows(io.BytesIO(data) if isinstance(data, bytes) else data, max_seconds()) as windows:
            for start, pcm in windows:
                seam = start + OVERLAP_S / 2 if start else 0.0  # this window's text starts here
                kept = [segment for segment in kept if segment.start < seam]
                try:
                    generated, info = model.transcribe(pcm, **kwargs)
                    kept += [Segment(start + s.start, start + s.end, s.text, tuple(s.tokens), s.avg_logprob,
                                     s.no_speech_prob, s.compression_ratio, s.temperature or 0.0,
                                     tuple((w.word, start + w.start, start + w.end) for w in s.words or []))
                             for s in generated if start + s.start >= seam]
                except ValueError as error:  # e.g. an unknown language code
                    raise GatewayError(400, f"Transcription refused: {error}", param="language") from None
                language = language or info.language
                duration = start + pcm.size / SAMPLE_RATE
        record("transcription_audio_seconds", options.use, value=duration)
        record("transcription_seconds", options.use, value=time.monotonic() - started)
        text = " ".join(segment.text.strip() for segment in kept).strip()
        return Transcript(text=text, segments=tuple(kept), duration=duration, language=language)


@functools.lru_cache(maxsize=1)
def transcriber() -> Transcriber:
    """The process's model, from `gateway.transcription`."""
    return Transcriber(gateway_settings("transcription"))


def model_label() -> str:
    """The configured model as clients and logs see it: its name, or its directory's name (never a path)."""
    settings = gateway_settings("transcription")
    source = resolve_source(str(settings["source"]), str(settings["device"]))
    return Path(source).expanduser().name if Path(source).expanduser().is_dir() else source


def start_transcription() -> None:
    """Begin loading at start-up when `load: background` (never blocks)."""
    if gateway_settings("transcription")["load"] == "background":
        transcriber().start_loading()


async def transcribe(data: bytes | BinaryIO, options: Options) -> Transcript:
    """Transcribe a file through the local-work pool (429 + Retry-After when it is full)."""
    from plugins.platform.admission import local_work

    await transcriber().ready()
    return await local_work().run(transcriber().transcribe, data, options)
