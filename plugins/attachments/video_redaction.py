"""Video redaction: the audio track's spoken values silenced and the values on screen blacked out, re-muxed
into one MP4, so a redacted request still sends Gemini a video.

- **Spoken**: the track's transcript with its word times (the scan's, reused from the transcription
  cache; heard again when gone), silenced as audio is (audio_redaction.py).
- **On screen**: the frames the scan read (one every `1 / escalation.video_fps` seconds and one at every
  scene change). A frame whose text holds a value is blacked out as an image is (its OCR lines and codes
  holding a value; read again afterwards, RedactionUncertain if anything is still readable), and the same
  boxes cover every frame up to the next one read: the picture did not change in between, or the scan
  would have read that frame too.
- **Sent as** an MP4: the picture copied as it was when nothing on screen needed blacking out, else
  re-encoded (H.264); the sound copied when nothing said needed silencing, else re-encoded (AAC, 16 kHz).
  A clip the scan could not read whole, or that cannot be decoded or re-encoded, raises
  RedactionUncertain: the request escalates.
"""

from __future__ import annotations

import io
import tempfile
import time
from typing import Any, BinaryIO, cast

import numpy as np

from plugins.attachments.audio_redaction import (
    SPOOL_BYTES,
    Redacted,
    Silence,
    audio_frame,
    record_silences,
    silenced_pcm,
    values_to_silence,
)
from plugins.attachments.audio_scan import Piece, budget_s, declared_length, still_time, stoppable
from plugins.attachments.audio_windows import AudioWindows, NoAudio, max_seconds, open_container
from plugins.attachments.transcription import Options, clock, transcriber
from plugins.attachments.video import frame_text, scan_frames
from plugins.platform.settings import gateway_settings
from plugins.policy.redaction import RedactionUncertain, Vault, black_out

Cover = tuple[float, list[list[int]]]  # (from this second, boxes in the video's pixels) until the next one


def _spoken(stream: BinaryIO, vault: Vault, deadline: float) -> list[Silence]:
    try:
        transcript = transcriber().transcribe(stream, Options(use="scan", words=True))
    except NoAudio:
        return []
    pieces = tuple(Piece(segment.text, segment.words) for segment in transcript.segments)
    return values_to_silence(pieces, vault, "video", deadline)


def _on_screen(stream: BinaryIO, vault: Vault, width: int) -> list[Cover]:
    """Boxes to black out from each frame the scan read onwards (empty where nothing is shown)."""
    from PIL import Image

    from plugins.attachments import media, reading
    from plugins.policy.detect import find_sensitive

    settings = gateway_settings("escalation")
    frames, complete = scan_frames(stream, float(settings["video_fps"]), int(settings["video_max_frames"]))
    if not complete:
        raise RedactionUncertain("the video needs more frames read than video_max_frames")
    covers: list[Cover] = []
    for frame in frames:
        text = frame_text(frame.jpeg)
        if text is None:  # not read by this process's scan (a cached verdict): read it now
            text, unsure = reading.image_text(media.open_image(frame.jpeg))
            if unsure:
                raise RedactionUncertain(f"video frame at {clock(frame.seconds)} could not be read")
        if not find_sensitive([text]):
            covers.append((frame.seconds, []))
            continue
        image = Image.open(io.BytesIO(frame.jpeg))
        scale, before = width / image.width, len(vault.boxes)
        black_out(image, vault, f"video frame at {clock(frame.seconds)}")
        covers.append((frame.seconds, [[int(corner * scale) + (4 if index > 1 else -4) for index, corner in
                                        enumerate(entry["box"])] for entry in vault.boxes[before:]]))
    return covers


def _boxes_at(covers: list[Cover], seconds: float) -> list[list[int]]:
    shown: list[list[int]] = []
    for start, boxes in covers:
        if start > seconds + 1e-3:
            break
        shown = boxes
    return shown


def _picture_stream(sink: Any, picture: Any, covers: list[Cover]) -> tuple[Any, bool]:
    """The output picture stream: a copy of the input's (True) or H.264 for the blacked-out frames."""
    if not any(boxes for _, boxes in covers):
        return sink.add_stream_from_template(picture), True
    out = sink.add_stream("libx264", rate=picture.average_rate or 25)
    out.width, out.height = picture.codec_context.width // 2 * 2, picture.codec_context.height // 2 * 2
    out.pix_fmt, out.time_base = "yuv420p", picture.time_base
    out.options = {"preset": "veryfast", "crf": "20"}
    return out, False


def _sound_stream(sink: Any, sound: Any, silences: list[Silence]) -> tuple[Any, bool]:
    """The output sound stream: a copy of the input's (True) or AAC at 16 kHz for the silenced track."""
    if not silences:
        return sink.add_stream_from_template(sound), True
    out = sink.add_stream("aac", rate=16000)
    out.layout = "stereo" if (sound.channels or 1) > 1 else "mono"
    return out, False


def _copy(source: Any, track: Any, out: Any, sink: Any) -> None:
    for packet in source.demux(track):
        if packet.dts is not None:
            packet.stream = out
            sink.mux(packet)


def _write_picture(stream: BinaryIO, out: Any, sink: Any, covers: list[Cover], deadline: float, stop: Any) -> None:
    import av

    source = open_container(stream)
    try:
        for index, frame in enumerate(source.decode(source.streams.video[0])):
            if index % 25 == 0 and not still_time(deadline, stop):
                raise RedactionUncertain("the video could not be redacted in time")
            pixels = frame.to_ndarray(format="rgb24")[: out.height, : out.width]
            for left, top, right, bottom in _boxes_at(covers, float(frame.time or 0.0)):
                pixels[max(0, top): max(0, bottom), max(0, left): max(0, right)] = 0
            redacted = av.VideoFrame.from_ndarray(np.ascontiguousarray(pixels), format="rgb24")
            redacted.pts, redacted.time_base = frame.pts, frame.time_base
            for packet in out.encode(redacted):
                sink.mux(packet)
        for packet in out.encode():
            sink.mux(packet)
    finally:
        source.close()


def _write_sound(stream: BinaryIO, out: Any, sink: Any, silences: list[Silence], deadline: float,
                 stop: Any) -> None:
    with AudioWindows(stream, max_seconds(), window_s=240.0, overlap_s=0.0, channels=True) as windows:
        for samples in silenced_pcm(windows, silences, deadline, stop):
            for packet in out.encode(audio_frame(samples, windows.layout)):
                sink.mux(packet)
        for packet in out.encode():
            sink.mux(packet)


def _remux(stream: BinaryIO, output: BinaryIO, silences: list[Silence], covers: list[Cover], deadline: float,
           stop: Any) -> None:
    """The clip into `output` as MP4: both streams declared first, then written one after the other (the
    upload is one file object: never read by two containers at once)."""
    import av

    with av.open(output, mode="w", format="mp4") as sink:
        probe = open_container(stream)
        try:
            picture = _picture_stream(sink, probe.streams.video[0], covers) if probe.streams.video else None
            sound = _sound_stream(sink, probe.streams.audio[0], silences) if probe.streams.audio else None
        finally:
            probe.close()
        if picture is not None:
            if picture[1]:
                source = open_container(stream)
                try:
                    _copy(source, source.streams.video[0], picture[0], sink)
                finally:
                    source.close()
            else:
                _write_picture(stream, picture[0], sink, covers, deadline, stop)
        if sound is not None:
            if sound[1]:
                source = open_container(stream)
                try:
                    _copy(source, source.streams.audio[0], sound[0], sink)
                finally:
                    source.close()
            else:
                _write_sound(stream, sound[0], sink, silences, deadline, stop)


def redact_clip(stream: BinaryIO, vault: Vault, deadline: float, stop: Any = None) -> Redacted | None:
    """The clip with its spoken values silenced and its values on screen blacked out (None when it shows and
    says none: it goes as it is); RedactionUncertain when that cannot be certain. Runs in a worker thread."""
    import av

    probe = open_container(stream)
    try:
        has_sound, has_picture = bool(probe.streams.audio), bool(probe.streams.video)
        width = probe.streams.video[0].codec_context.width if has_picture else 0
    finally:
        probe.close()
    silences = _spoken(stream, vault, deadline) if has_sound else []
    covers = _on_screen(stream, vault, width) if has_picture else []
    blacked = sum(1 for _, boxes in covers if boxes)
    if not silences and not blacked:
        return None
    output = cast(BinaryIO, tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES))  # noqa: SIM115 - returned
    try:
        _remux(stream, output, silences, covers, deadline, stop)
    except (av.FFmpegError, ValueError, OSError) as error:
        output.close()
        raise RedactionUncertain(f"the video could not be re-encoded: {error}") from None
    except BaseException:
        output.close()
        raise
    output.seek(0)
    spans, seconds = record_silences(silences, vault, "video")
    sent_as = f"MP4 ({'H.264' if blacked else 'picture as sent'}, {'AAC 16 kHz' if silences else 'sound as sent'})"
    return Redacted(output, spans, seconds, sent_as, blacked)


async def redact_video(attachment: Any, vault: Vault) -> Redacted | None:
    """`redact_clip` for an attachment, in the local-work pool, within the scan's budget for its length."""
    deadline = time.monotonic() + budget_s(declared_length(attachment.stream))
    return await stoppable(redact_clip, attachment.stream, vault, deadline)
