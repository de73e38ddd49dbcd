"""Video read locally with PyAV, and the chat parts strict audio and video become.

A local vision model takes images and text, not video: a clip becomes its transcript plus a few
keyframes spread evenly over it. Cost is bounded before anything is decoded: the declared (or
demuxed) length against `gateway.transcription.max_audio_minutes`, the frame size against
`gateway.attachments.max_image_pixels`, and only the chosen keyframes are decoded.

The flexible scan looks closer (`scan_frames`): every frame is decoded in turn and one is kept every
`1 / gateway.escalation.video_fps` seconds, keyframe or not, and at every scene change (a value shown
briefly between two samples), up to `video_max_frames`.
"""

from __future__ import annotations

import base64
import hashlib
import io
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, BinaryIO

from plugins.attachments.audio_scan import LOOPING
from plugins.attachments.audio_windows import (
    NoAudio,
    declared_seconds,
    max_seconds,
    open_container,
    probe_seconds,
    too_long,
    undecodable,
)
from plugins.attachments.transcription import Options, Transcript, as_written, clock, model_label, transcriber
from plugins.platform.errors import GatewayError
from plugins.platform.settings import gateway_settings


@dataclass(frozen=True)
class Frame:
    seconds: float
    jpeg: bytes


@dataclass(frozen=True)
class Video:
    duration: float
    frames: tuple[Frame, ...]
    has_audio: bool  # transcribed from the file itself, a window at a time


def _keyframes(container: Any, stream: Any, limit: float) -> tuple[list[int], float]:
    """Keyframe timestamps (stream time base) and the length, from packets alone (nothing decoded)."""
    keys, last = [], 0.0
    for packet in container.demux(stream):
        if packet.pts is None:
            continue
        seconds = float(packet.pts * stream.time_base)
        last = max(last, seconds + float((packet.duration or 0) * stream.time_base))
        if last > limit:
            raise too_long(last, limit)
        if packet.is_keyframe:
            keys.append(packet.pts)
    return keys, last


def _spread(keys: list[int], count: int) -> list[int]:
    """`count` keyframes spread evenly over the ones there are (fewer when the clip has fewer)."""
    if len(keys) <= count:
        return keys
    return sorted({keys[min(len(keys) - 1, int((index + 0.5) * len(keys) / count))] for index in range(count)})


def _jpeg(frame: Any, max_side: int, quality: int) -> bytes:
    image = frame.to_image()
    image.thumbnail((max_side, max_side))
    output = io.BytesIO()
    image.convert("RGB").save(output, format="JPEG", quality=quality)
    return output.getvalue()


def read_video(data: bytes | BinaryIO, count: int | None = None) -> Video:
    """The audio track and up to `count` (default `gateway.transcription.frames`) keyframes of a video."""
    import av

    strict = gateway_settings("attachments")["strict"]
    count = int(gateway_settings("transcription")["frames"]) if count is None else count
    max_pixels = int(gateway_settings("attachments")["max_image_pixels"])
    limit = max_seconds()
    frames: list[Frame] = []
    container = open_container(data)
    try:
        declared = declared_seconds(container)
        if declared and declared > limit:
            raise too_long(declared, limit)
        duration, has_audio = declared or 0.0, bool(container.streams.audio)
        if container.streams.video and count > 0:
            stream = container.streams.video[0]
            if stream.codec_context.width * stream.codec_context.height > max_pixels:
                raise GatewayError(413, f"Video frames of {stream.codec_context.width}x{stream.codec_context.height}"
                                   f" pixels exceed gateway.attachments.max_image_pixels ({max_pixels}).")
            keys, demuxed = _keyframes(container, stream, limit)
            duration = max(duration, demuxed)
            for pts in _spread(keys, count):
                container.seek(pts, stream=stream, backward=True, any_frame=False)
                frame = next(container.decode(stream), None)
                if frame is not None:
                    frames.append(Frame(float(frame.time or 0.0), _jpeg(frame, int(strict["max_image_side"]),
                                                                        int(strict["jpeg_quality"]))))
    except av.FFmpegError as error:
        raise undecodable(error) from None
    finally:
        container.close()
    if not frames and not has_audio:
        raise GatewayError(400, "The video holds neither decodable frames nor an audio track.", param="file")
    return Video(duration=duration, frames=tuple(frames), has_audio=has_audio)


def _transcript(data: bytes | BinaryIO, options: Options) -> Transcript | None:
    """The video's audio track transcribed from the file a window at a time; None when it has none, or
    one that decodes to nothing."""
    try:
        return transcriber().transcribe(data, options)
    except NoAudio:
        return None


SKETCH = (160, 90)  # a frame as the scene-change test sees it: small, grey
CHANGED_LEVELS, CHANGED_SHARE = 32, 0.001  # a pixel changed by this much, in this share of the sketch: a new scene


def _sketch(frame: Any) -> Any:
    return frame.reformat(width=SKETCH[0], height=SKETCH[1], format="gray").to_ndarray().astype("int16")


def _scene_changed(before: Any, after: Any) -> bool:
    """The picture changed, not just its noise: a cut, or text put on screen (about 15 of 14,400 sketch
    pixels, a short line of text)."""
    import numpy as np

    return bool(np.count_nonzero(np.abs(after - before) > CHANGED_LEVELS) > CHANGED_SHARE * before.size)


def scan_frames(data: bytes | BinaryIO, fps: float, max_frames: int) -> tuple[list[Frame], bool]:
    """Frames `1 / fps` seconds apart over the whole clip, and every frame where the picture changes
    (each decoded frame is looked at in turn: a value on screen for less than `1 / fps` seconds, between two
    samples, is still read), at most `gateway.escalation.ocr_max_side` large; False when the clip needs
    more than `max_frames` (a picture that never stops changing cannot be read within the budget: strict)."""
    import av

    max_pixels = int(gateway_settings("attachments")["max_image_pixels"])
    max_side = int(gateway_settings("escalation")["ocr_max_side"])
    limit = max_seconds()
    frames: list[Frame] = []
    container = open_container(data)
    try:
        declared = declared_seconds(container)
        if declared and declared > limit:
            raise too_long(declared, limit)
        if not container.streams.video:
            return [], True
        stream = container.streams.video[0]
        if stream.codec_context.width * stream.codec_context.height > max_pixels:
            raise GatewayError(413, f"Video frames of {stream.codec_context.width}x{stream.codec_context.height}"
                               f" pixels exceed gateway.attachments.max_image_pixels ({max_pixels}).")
        stream.thread_type = "AUTO"
        due, previous = float("-inf"), None
        for frame in container.decode(stream):
            seconds = float(frame.time or 0.0)
            if seconds > limit:
                raise too_long(seconds, limit)
            sketch = _sketch(frame)
            changed = previous is not None and _scene_changed(previous, sketch)
            previous = sketch
            if seconds + 1e-6 < due and not changed:
                continue
            if len(frames) >= max_frames:
                return frames, False
            frames.append(Frame(seconds, _jpeg(frame, max_side, 92)))
            due = seconds + 1.0 / fps
    except av.FFmpegError as error:
        raise undecodable(error) from None
    finally:
        container.close()
    return frames, True


# What the scan read on recent frames, by the sha256 of the frame as sampled: redaction finds the frames that
# show a value without reading them all again. Process memory only, a bounded number of entries.
_frame_texts: OrderedDict[str, str] = OrderedDict()
FRAME_TEXTS_KEPT = 512


def frame_key(jpeg: bytes) -> str:
    return hashlib.sha256(jpeg).hexdigest()


def frame_text(jpeg: bytes) -> str | None:
    """What the scan read on this frame, if this process still has it."""
    return _frame_texts.get(frame_key(jpeg))


def _remember_frame(jpeg: bytes, text: str) -> None:
    _frame_texts[frame_key(jpeg)] = text
    _frame_texts.move_to_end(frame_key(jpeg))
    while len(_frame_texts) > FRAME_TEXTS_KEPT:
        _frame_texts.popitem(last=False)


def video_text(data: bytes | BinaryIO, read_image: Callable[[bytes], tuple[str, str]]) -> tuple[str, str]:
    """What a video says and shows, for the sensitive-data scan: its transcript (with word times, which
    redaction reuses) and the text `read_image` (OCR) finds on frames taken every
    `1 / gateway.escalation.video_fps` seconds; the second value says why part of it could not be read
    ("unscanned-frames": more than `video_max_frames` were needed; "unscanned-audio": the transcript
    loops, `audio_scan.LOOPING`)."""
    settings = gateway_settings("escalation")
    frames, complete = scan_frames(data, float(settings["video_fps"]), int(settings["video_max_frames"]))
    heard = _transcript(data, Options(use="scan", words=True))
    spoken = heard.text if heard else ""
    seen: dict[bytes, tuple[str, str]] = {}  # a still scene decodes to the same pixels: read them once
    for frame in frames:
        if frame.jpeg not in seen:
            seen[frame.jpeg] = read_image(frame.jpeg)
            _remember_frame(frame.jpeg, seen[frame.jpeg][0])
    read = list(seen.values())
    unread = "" if complete else "unscanned-frames"
    if LOOPING.search(spoken):  # Whisper stuck on a number or a letter: what was said there was not heard
        unread = "unscanned-audio"
    return "\n".join([as_written(spoken), *(text for text, _ in read)]), \
        unread or next((unsure for _, unsure in read if unsure), "")


def _image_part(jpeg: bytes) -> dict:
    return {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64," + base64.b64encode(jpeg).decode()}}


async def strict_media_parts(kind: str, data: bytes | BinaryIO, name: str, timestamps: bool,
                             dry_run: bool = False) -> tuple[list[dict], dict]:
    """(chat parts, plan for the route record) for strict audio or video: a transcript text part, and for
    video its keyframes as images. With `dry_run` only the plan: nothing is transcribed."""
    from plugins.platform.admission import local_work

    model = transcriber()
    plan: dict[str, Any] = {"transcribe": model_label(), "timestamps": timestamps}
    if kind == "video":
        plan["frames"] = int(gateway_settings("transcription")["frames"])
    if dry_run:
        plan["seconds"] = await local_work().run(probe_seconds, data)
        return [], plan
    await model.ready()
    video = await local_work().run(read_video, data) if kind == "video" else None
    if video is None:
        transcript: Transcript | None = await local_work().run(model.transcribe, data, Options(use="strict"))
    else:
        transcript = await local_work().run(_transcript, data, Options(use="strict")) if video.has_audio else None
    seconds = max(video.duration if video else 0.0, transcript.duration if transcript else 0.0)
    label = f"{'Video' if video else 'Transcript of'} {name or kind} ({clock(seconds)})"
    if transcript is None:
        spoken = "(no audio track)"
    else:
        spoken = (transcript.timed_text() if timestamps else transcript.text) or "(no speech detected)"
        plan.update(language=transcript.language, segments=len(transcript.segments))
    plan["seconds"] = round(seconds, 2)
    if video is None:
        return [{"type": "text", "text": f"{label}:{chr(10) if timestamps else ' '}{spoken}"}], plan
    plan["frames_at"] = [round(frame.seconds, 2) for frame in video.frames]
    times = ", ".join(clock(frame.seconds) for frame in video.frames)
    header = f"{label}: {len(video.frames)} frames follow, taken at {times}." if video.frames else f"{label}:"
    text = f"{header}\nTranscript:{chr(10) if timestamps else ' '}{spoken}"
    return [{"type": "text", "text": text}, *(_image_part(frame.jpeg) for frame in video.frames)], plan
