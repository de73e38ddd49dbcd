"""Audio redaction: every value the scan heard is silenced over its words' time span, and the recording
re-encoded, so a redacted request still goes to Gemini, without the spoken values.

- **Times**: the scan (audio_scan.py) times the words of the speech chunks whose text holds a value, from
  the encoder output it already computed. A recording the scan did not hear this time (a cached verdict,
  or a request whose text already held a value) is heard again, timed.
- **Values**: `detect.spans` over the timed words read as one text, and over their numbers as written
  ("612, 345" -> "612 345", "plus 34" -> "+34"); each span maps back to the words it covers.
- **Silenced**: from the value's first word's start to its last word's end, widened by
  `transcription.redact_margin_ms` and into the pause on either side (up to `GAP_S`; `EDGE_S` where the
  neighbouring word is not known): word times from cross-attention are good to a tenth of a second, and
  the first word after a pause is often placed late.
- **Checked**: the words left (a silenced word reads as its placeholder) and the stretches the scan did
  not time are read again by the same detectors. Anything still found, a recording that cannot be decoded
  or re-encoded, or a deadline passed raises RedactionUncertain: the request escalates, nothing is sent
  as is.
- **Re-encoded** at 16 kHz (the resolution Gemini hears audio at), mono unless the track is stereo:
  FLAC when the upload was lossless (WAV, FLAC, AIFF), else Ogg/Opus at 32 kbps per channel, about the
  size of a speech MP3, so the file goes inline or through the File API as the original would have.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from typing import Any, BinaryIO, cast

import numpy as np

from plugins.attachments.audio_scan import Heard, Piece, Word, budget_s, declared_length, scan, still_time, stoppable
from plugins.attachments.audio_windows import SAMPLE_RATE, AudioWindows, max_seconds
from plugins.attachments.transcription import as_written
from plugins.platform.settings import gateway_settings
from plugins.policy.redaction import RedactionUncertain, Vault

GAP_S = 1.0  # silence reaches into the pause before and after a value up to this far
EDGE_S = 0.5  # ... or this far where the neighbouring word is not known
CHUNK_S = 240.0  # decoded, silenced and encoded this much at a time
SPOOL_BYTES = 8 * 1024 * 1024
LOSSLESS = ("flac", "alac", "wavpack", "tta", "ape")


@dataclass(frozen=True)
class Silence:
    start: float
    end: float
    kind: str
    value: str


@dataclass(frozen=True)
class Redacted:
    """A recording with its values silenced: the new file, and what was done (no values)."""

    stream: BinaryIO
    spans: int  # stretches silenced
    seconds: float  # their length
    sent_as: str
    frames: int = 0  # video frames read with values blacked out


def _runs(pieces: tuple[Piece, ...]) -> list[list[Word]]:
    """The timed words, in runs of consecutive timed pieces (a value said across two of them is one run)."""
    runs: list[list[Word]] = [[]]
    for piece in pieces:
        if piece.words:
            runs[-1] += piece.words
        elif runs[-1]:
            runs.append([])
    return [run for run in runs if run]


def _readings(words: list[Word]) -> list[tuple[str, list[tuple[int, int]]]]:
    """The words as one text, and as written (numbers joined as the patterns expect), each with every
    word's character range in it."""
    said, written = [word.strip() for word, _, _ in words], []
    for index, text in enumerate(said):
        digit_next = index + 1 < len(said) and said[index + 1][:1].isdigit()
        if text.lower() == "plus" and digit_next:
            written.append(("+", ""))
        elif len(text) > 1 and text[-1] in ",." and text[-2].isdigit() and digit_next:
            written.append((text[:-1], " "))
        else:
            written.append((text, " "))
    readings = []
    for forms in ([(text, " ") for text in said], written):
        text, ranges = "", []
        for form, separator in forms:
            ranges.append((len(text), len(text) + len(form)))
            text += form + separator
        readings.append((text, ranges))
    return readings


def spoken_values(pieces: tuple[Piece, ...], margin_s: float) -> list[Silence]:
    """The time span to silence for every value in the timed words, in order (a value found in both
    readings once)."""
    from plugins.policy.detect import spans

    found: set[Silence] = set()
    for words in _runs(pieces):
        for text, ranges in _readings(words):
            for start, end, kind in spans(text):
                covered = [index for index, (first, last) in enumerate(ranges) if first < end and last > start]
                if covered:
                    found.add(_silence(words, covered[0], covered[-1], kind, text[start:end].strip(), margin_s))
    return sorted(found, key=lambda silence: (silence.start, silence.end))


def merged(silences: list[Silence]) -> list[tuple[float, float, list[str]]]:
    """The stretches silenced, overlapping spans as one: (start, end, kinds)."""
    out: list[tuple[float, float, list[str]]] = []
    for silence in silences:
        if out and silence.start <= out[-1][1]:
            start, end, kinds = out[-1]
            out[-1] = (start, max(end, silence.end), sorted({*kinds, silence.kind}))
        else:
            out.append((silence.start, silence.end, [silence.kind]))
    return out


def _silence(words: list[Word], first: int, last: int, kind: str, value: str, margin_s: float) -> Silence:
    start, end = float(words[first][1]), float(words[last][2])
    before = float(words[first - 1][2]) if first > 0 else start - EDGE_S
    after = float(words[last + 1][1]) if last + 1 < len(words) else end + EDGE_S
    low = min(start - margin_s, max(before, start - GAP_S))
    high = max(end + margin_s, min(after, end + GAP_S))
    return Silence(max(0.0, low), high, kind, value)


def left_audible(pieces: tuple[Piece, ...], silences: list[Silence], vault: Vault) -> str:
    """What can still be heard, as text: timed words outside every silence (a silenced word reads as its
    placeholder), and the stretches that were not timed, as heard."""
    out = []
    for piece in pieces:
        if not piece.words:
            out.append(piece.text.strip())
            continue
        for word, start, end in piece.words:
            hidden = next((s for s in silences if s.start - 0.01 <= start and end <= s.end + 0.01), None)
            out.append(vault.placeholder(hidden.kind, hidden.value) if hidden else word.strip())
    return " ".join(out)


def _lossless(track: Any) -> bool:
    name = str(track.codec_context.name or "")
    return name.startswith("pcm_") or name in LOSSLESS


def silenced_pcm(windows: AudioWindows, silences: list[Silence], deadline: float, stop: Any = None):
    """The recording's 16 kHz samples, a chunk at a time, as int16 (channels, samples), zero over every
    silence; RedactionUncertain once `deadline` (or `stop`) passes."""
    for start, pcm in windows:
        if not still_time(deadline, stop):
            raise RedactionUncertain("the recording could not be redacted in time")
        pcm = np.atleast_2d(pcm).copy()
        for silence in silences:
            first = max(0, int((silence.start - start) * SAMPLE_RATE))
            last = min(pcm.shape[1], int(np.ceil((silence.end - start) * SAMPLE_RATE)))
            if first < last:
                pcm[:, first:last] = 0.0
        yield (np.clip(pcm, -1.0, 1.0) * 32767).astype(np.int16)


def audio_frame(samples: np.ndarray, layout: str) -> Any:
    """int16 (channels, samples) as a PyAV frame (packed s16 at 16 kHz)."""
    import av

    frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples.T).reshape(1, -1), format="s16", layout=layout)
    frame.sample_rate = SAMPLE_RATE
    return frame


def silence_recording(stream: BinaryIO, silences: list[Silence], deadline: float,
                      stop: Any = None) -> tuple[BinaryIO, str]:
    """The recording re-encoded with every silence silent (module docstring: the format), into a spooled
    file; RedactionUncertain when it cannot be decoded or encoded in time."""
    import av

    output = cast(BinaryIO, tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES))  # noqa: SIM115 - returned
    try:
        with AudioWindows(stream, max_seconds(), window_s=CHUNK_S, overlap_s=0.0, channels=True) as windows:
            lossless = _lossless(windows.track)
            form, codec = ("flac", "flac") if lossless else ("ogg", "libopus")
            with av.open(output, mode="w", format=form) as sink:
                track: Any = sink.add_stream(codec, rate=SAMPLE_RATE)
                track.layout = windows.layout
                if not lossless:
                    track.bit_rate = 32000 * (2 if windows.layout == "stereo" else 1)
                    track.options = {"compression_level": "0"}  # ~850x real time; speech stays clear at 32 kbps
                for samples in silenced_pcm(windows, silences, deadline, stop):
                    for packet in track.encode(audio_frame(samples, windows.layout)):
                        sink.mux(packet)
                for packet in track.encode():
                    sink.mux(packet)
    except (av.FFmpegError, ValueError, OSError) as error:
        output.close()
        raise RedactionUncertain(f"the recording could not be re-encoded: {error}") from None
    except BaseException:
        output.close()
        raise
    output.seek(0)
    return output, "FLAC, 16 kHz" if lossless else "Ogg/Opus, 16 kHz"


def values_to_silence(pieces: tuple[Piece, ...], vault: Vault, where: str, deadline: float) -> list[Silence]:
    """The spans to silence in what was heard, each value recorded in the vault (the transcript's placeholder
    is the text's), and the rest read again: RedactionUncertain when anything would still be audible."""
    from plugins.policy.detect import ScanTimeout, find_sensitive

    silences = spoken_values(pieces, float(gateway_settings("transcription")["redact_margin_ms"]) / 1000)
    for silence in silences:
        vault.placeholder(silence.kind, silence.value)
    try:
        if find_sensitive([as_written(left_audible(pieces, silences, vault))], deadline):
            raise RedactionUncertain(f"{where}: a value is still audible after silencing")
    except ScanTimeout:
        raise RedactionUncertain(f"{where}: could not be read again in time") from None
    return silences


def record_silences(silences: list[Silence], vault: Vault, where: str) -> tuple[int, float]:
    """The stretches silenced, for explain (no values); returns how many and their seconds."""
    stretches = merged(silences)
    vault.silenced += [{"where": where, "start": round(start, 2), "end": round(end, 2), "kinds": kinds}
                       for start, end, kinds in stretches]
    return len(stretches), round(sum(end - start for start, end, _ in stretches), 2)


def redact_audio(stream: BinaryIO, heard: Heard | None, vault: Vault, where: str, deadline: float,
                 stop: Any = None) -> Redacted | None:
    """The recording with every value heard in it silenced (None when there is none: it goes as it is);
    RedactionUncertain when that cannot be certain. Runs in a worker thread."""
    if heard is None or not heard.timed:
        heard = scan(stream, deadline, True, stop)
    if not heard.complete:
        raise RedactionUncertain("the recording could not be heard whole in time")
    silences = values_to_silence(heard.pieces, vault, where, deadline)
    if not silences:
        return None
    output, sent_as = silence_recording(stream, silences, deadline, stop)
    return Redacted(output, *record_silences(silences, vault, where), sent_as)


async def redact_recording(attachment: Any, vault: Vault, where: str = "audio") -> Redacted | None:
    """`redact_audio` for an attachment, in the local-work pool, within the scan's budget for its length
    (the same bound the scan had); a request that stops waiting stops it and waits for the file."""
    deadline = time.monotonic() + budget_s(declared_length(attachment.stream))
    return await stoppable(redact_audio, attachment.stream, attachment.heard, vault, where, deadline)
