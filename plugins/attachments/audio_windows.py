"""Audio decoded with PyAV, never whole: the file's header read for its length, and long audio a window
at a time, for the sensitive-data scan of flexible audio, strict transcripts and audio redaction.

A 95 MB recording decoded whole is ~40 minutes of 16 kHz float32 plus Whisper's spectrogram of all of
it (hundreds of MB); a window of `WINDOW_S` seconds costs tens of MB, freed after it. Windows overlap
by `OVERLAP_S` so a number spoken across a cut is heard whole in one of them (the scan only looks for
patterns, so the repeated seconds do no harm).

The bottom of the audio modules: transcription.py, audio_scan.py and audio_redaction.py import this
one, and it imports none of them.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any, BinaryIO

import numpy as np

from plugins.platform.errors import GatewayError
from plugins.platform.settings import gateway_settings

SAMPLE_RATE = 16000  # what Whisper takes
WINDOW_S = 30.0  # Whisper's own window: its spectrogram of one costs ~45 MB transient (60 s: ~65 MB)
OVERLAP_S = 4.0  # long enough for a phone number said aloud; costs 15 % more transcription
FIFO_SAMPLES = 200_000  # input samples resampled at once (in groups: several times faster than per frame)


def max_seconds() -> float:
    return float(gateway_settings("transcription")["max_audio_minutes"]) * 60


def too_long(seconds: float, limit: float) -> GatewayError:
    return GatewayError(413, f"Media of {seconds / 60:.1f} minutes exceeds the limit of {limit / 60:g} minutes "
                        "(gateway.transcription.max_audio_minutes).", param="file")


def undecodable(error: Any) -> GatewayError:
    return GatewayError(400, f"The file could not be decoded as audio or video: {error}", param="file")


def open_container(data: bytes | BinaryIO) -> Any:
    import av

    if not isinstance(data, bytes):
        data.seek(0)
    try:
        return av.open(io.BytesIO(data) if isinstance(data, bytes) else data, mode="r")
    except (av.FFmpegError, ValueError, OSError, UnicodeDecodeError) as error:
        raise undecodable(error) from None


def declared_seconds(container: Any, stream: Any = None) -> float | None:
    """The length the container header declares, if any (no decoding)."""
    if stream is not None and stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    return container.duration / 1_000_000 if container.duration else None


def probe_seconds(data: bytes | BinaryIO) -> float | None:
    """The declared length of a media file, for plans (explain); 413 when over the limit."""
    container = open_container(data)
    try:
        seconds = declared_seconds(container)
    finally:
        container.close()
    if seconds and seconds > max_seconds():
        raise too_long(seconds, max_seconds())
    return seconds


class NoAudio(GatewayError):
    """A file with no audio track, or one that decodes to nothing (a video may still have its frames)."""

    def __init__(self) -> None:
        super().__init__(400, "The file holds no decodable audio.", param="file")


class AudioWindows:
    """The first audio track of a file object as (start seconds, 16 kHz mono float32) windows; with
    `channels`, each window is (channels, samples), its first two channels apart (the scan hears a
    stereo recording's channels one by one when they differ: mixed, a phase-inverted one cancels out)."""

    def __init__(self, stream: BinaryIO, limit_s: float, window_s: float = WINDOW_S,
                 overlap_s: float = OVERLAP_S, channels: bool = False) -> None:
        self.limit_s = limit_s
        self.size, self.keep = int(window_s * SAMPLE_RATE), int(overlap_s * SAMPLE_RATE)
        self.container = open_container(stream)  # from its start; undecodable -> 400
        if not self.container.streams.audio:
            self.container.close()
            raise NoAudio()
        self.track = self.container.streams.audio[0]
        self.declared = declared_seconds(self.container, self.track)
        self.layout = "stereo" if channels and (self.track.channels or 1) > 1 else "mono"
        if self.declared and self.declared > limit_s:
            self.container.close()
            raise too_long(self.declared, limit_s)

    def __enter__(self) -> AudioWindows:
        return self

    def __exit__(self, *exc: object) -> None:
        self.container.close()

    def _pcm(self) -> Iterator[np.ndarray]:
        """Resampled pieces, in order, decoded as they are asked for."""
        import av

        resampler = av.AudioResampler(format="fltp", layout=self.layout, rate=SAMPLE_RATE)
        fifo, seconds = av.AudioFifo(), 0.0
        try:
            for frame in self.container.decode(self.track):
                seconds += frame.samples / (frame.sample_rate or SAMPLE_RATE)
                if seconds > self.limit_s + 1:
                    raise too_long(seconds, self.limit_s)
                frame.pts = None  # the resampler keeps its own clock; broken timestamps must not stop it
                fifo.write(frame)
                if fifo.samples >= FIFO_SAMPLES:
                    yield from (out.to_ndarray() for out in resampler.resample(fifo.read()))
            if fifo.samples:
                yield from (out.to_ndarray() for out in resampler.resample(fifo.read()))
            yield from (out.to_ndarray() for out in resampler.resample(None))
        except (av.FFmpegError, ValueError, OSError) as error:
            raise undecodable(error) from None

    def __iter__(self) -> Iterator[tuple[float, np.ndarray]]:
        pending: list[np.ndarray] = []
        buffered, start, sent = 0, 0.0, False
        shape = (lambda pcm: pcm.reshape(-1)) if self.layout == "mono" else (lambda pcm: pcm)
        for piece in self._pcm():  # (channels, samples)
            pending.append(piece)
            buffered += piece.shape[-1]
            while buffered >= self.size:
                joined = np.concatenate(pending, axis=-1)
                yield start, shape(joined[:, :self.size])
                sent = True
                rest = joined[:, self.size - self.keep:]
                pending, buffered = [rest], rest.shape[-1]
                start += (self.size - self.keep) / SAMPLE_RATE
        if buffered > (self.keep if sent else 0):
            yield start, shape(np.concatenate(pending, axis=-1))
        elif not sent:
            raise NoAudio()


def apart(pcm: np.ndarray) -> list[np.ndarray]:
    """The window to hear: mono as it is, a stereo window as its mix when its channels carry the same
    sound, else each channel on its own (a voice in one channel only, or one channel phase-inverted)."""
    if pcm.ndim == 1:
        return [pcm]
    mix = pcm.mean(axis=0)
    differ = float(np.abs(pcm[0] - pcm[-1]).max(initial=0.0)) > 0.05 * float(np.abs(pcm).max(initial=0.0))
    return [np.ascontiguousarray(channel) for channel in pcm] if differ else [mix]
