"""Long audio a window at a time, for the sensitive-data scan of flexible audio: decoded with PyAV from
the spooled upload, never read or decoded whole.

A 95 MB recording decoded whole is ~40 minutes of 16 kHz float32 plus Whisper's spectrogram of all of
it (hundreds of MB); a window of `WINDOW_S` seconds costs tens of MB, freed after it. Windows overlap
by `OVERLAP_S` so a number spoken across a cut is heard whole in one of them (the scan only looks for
patterns, so the repeated seconds do no harm). The scan stops at its deadline (`scan_timeout_s`);
audio whose length, read from its header, could not be transcribed in the time left at the measured
speed is not transcribed at all: either way it counts as unscanned, and the request is handled as strict.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import BinaryIO

import numpy as np

from plugins.attachments.audio_scan import still_time
from plugins.platform.errors import GatewayError

SAMPLE_RATE = 16000
WINDOW_S = 30.0  # Whisper's own window: its spectrogram of one costs ~45 MB transient (60 s: ~65 MB)
OVERLAP_S = 4.0  # long enough for a phone number said aloud; costs 15 % more transcription
FIFO_SAMPLES = 200_000  # input samples resampled at once (in groups: several times faster than per frame)


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
        from plugins.attachments.transcription import declared_seconds, open_container, too_long, undecodable

        self._undecodable = undecodable
        self._too_long = too_long
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
                    raise self._too_long(seconds, self.limit_s)
                frame.pts = None  # the resampler keeps its own clock; broken timestamps must not stop it
                fifo.write(frame)
                if fifo.samples >= FIFO_SAMPLES:
                    yield from (out.to_ndarray() for out in resampler.resample(fifo.read()))
            if fifo.samples:
                yield from (out.to_ndarray() for out in resampler.resample(fifo.read()))
            yield from (out.to_ndarray() for out in resampler.resample(None))
        except (av.FFmpegError, ValueError, OSError) as error:
            raise self._undecodable(error) from None

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


def scan_windows(hear: Callable[[np.ndarray], str], windows: AudioWindows, deadline: float, speed: float | None,
                 stop: threading.Event | None = None) -> tuple[list[str], bool, float, float]:
    """Texts of the windows heard before `deadline` (or `stop`), whether that was all of it, and the audio
    and wall seconds spent (for the measured speed). With a known `speed` (audio seconds per second),
    audio that cannot be done in the time left is not started."""
    left = deadline - time.monotonic()
    if speed and windows.declared and windows.declared / speed > left:
        return [], False, 0.0, 0.0
    texts: list[str] = []
    audio_s, started = 0.0, time.monotonic()
    for _, pcm in windows:
        if not still_time(deadline, stop):
            return texts, False, audio_s, time.monotonic() - started
        texts += [hear(channel) for channel in apart(pcm)]
        audio_s += pcm.shape[-1] / SAMPLE_RATE
    return texts, True, audio_s, time.monotonic() - started


def apart(pcm: np.ndarray) -> list[np.ndarray]:
    """The window to hear: mono as it is, a stereo window as its mix when its channels carry the same
    sound, else each channel on its own (a voice in one channel only, or one channel phase-inverted)."""
    if pcm.ndim == 1:
        return [pcm]
    mix = pcm.mean(axis=0)
    differ = float(np.abs(pcm[0] - pcm[-1]).max(initial=0.0)) > 0.05 * float(np.abs(pcm).max(initial=0.0))
    return [np.ascontiguousarray(channel) for channel in pcm] if differ else [mix]
