"""Turn what clients send (strings, data URIs, base64, uploaded bytes) into model-ready inputs.

Everything here is per input, so a bad input fails its own request with a 400 naming the
problem, before it can reach (and fail) a batch shared with other requests.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from embedding_server.errors import InputTooLarge, InvalidInput

MODALITIES = ("text", "image", "audio")
DATA_URI = re.compile(r"^data:(?P<mime>[\w.+-]+/[\w.+-]+)?(?P<params>(;[\w.+-]+=[^;,]*)*)(?P<b64>;base64)?,", re.I)


@dataclass(frozen=True)
class RawInput:
    """One input as received: its modality and the text or encoded bytes."""

    modality: str
    payload: str | bytes


def _modality_of_mime(mime: str | None) -> str | None:
    kind = (mime or "").split("/", 1)[0].lower()
    return kind if kind in ("image", "audio") else None


def classify_inputs(raw: Any, modality: str | None, *, max_items: int, max_item_bytes: int) -> list[RawInput]:
    """Check shape and size of a request's input and give each item its modality.

    `modality` (text | image | audio) applies to every item; without it, a data URI of an
    image/* or audio/* type is that modality and any other string is text.
    """
    if modality is not None and modality not in MODALITIES:
        raise InvalidInput(f"modality must be one of {', '.join(MODALITIES)}, got {modality!r}.")
    items = [raw] if isinstance(raw, (str, bytes)) else raw
    if not isinstance(items, (list, tuple)):
        raise InvalidInput("input must be a string or a list of strings.")
    if not items:
        raise InvalidInput("input is empty: send at least one item.")
    if len(items) > max_items:
        raise InputTooLarge(f"input has {len(items)} items; the limit is {max_items} per request.")
    classified = []
    for index, item in enumerate(items):
        if not isinstance(item, (str, bytes)):
            raise InvalidInput(f"input[{index}] must be a string (token arrays are not supported), got "
                               f"{type(item).__name__}.")
        if not item or (isinstance(item, str) and not item.strip()):
            raise InvalidInput(f"input[{index}] is empty.")
        kind = modality
        if kind is None:
            match = DATA_URI.match(item) if isinstance(item, str) else None
            kind = _modality_of_mime(match.group("mime")) if match else None
            kind = kind or ("text" if isinstance(item, str) else None)
        if kind is None:
            raise InvalidInput(f"input[{index}] is binary: say its modality (image or audio).")
        size = len(item.encode("utf-8", "surrogatepass")) if isinstance(item, str) else len(item)
        # base64 text is 4/3 of the bytes it carries; the exact check follows decoding.
        allowed = max_item_bytes * 4 // 3 + 1024 if kind != "text" and isinstance(item, str) else max_item_bytes
        if size > allowed:
            raise InputTooLarge(f"input[{index}] is {size} bytes; the limit is {max_item_bytes} bytes per input.")
        classified.append(RawInput(kind, item))
    return classified


def payload_bytes(item: RawInput, index: int, max_item_bytes: int) -> bytes:
    """The bytes of an image/audio input sent as a data URI, plain base64, or raw bytes."""
    if isinstance(item.payload, bytes):
        data = item.payload
    else:
        text = item.payload.strip()
        match = DATA_URI.match(text)
        if match:
            if not match.group("b64"):
                raise InvalidInput(f"input[{index}] is a data URI without ';base64': only base64 data is accepted.")
            text = text[match.end():]
        try:
            data = base64.b64decode(re.sub(r"\s+", "", text), validate=True)
        except (binascii.Error, ValueError):
            raise InvalidInput(
                f"input[{index}] is not valid base64 or a base64 data URI (modality {item.modality})."
            ) from None
    if not data:
        raise InvalidInput(f"input[{index}] is empty after decoding.")
    if len(data) > max_item_bytes:
        raise InputTooLarge(f"input[{index}] is {len(data)} bytes; the limit is {max_item_bytes} bytes per input.")
    return data


def open_image(data: bytes, index: int, max_pixels: int) -> Any:
    """Decode an image to RGB; 400 if it is not one, 413 if it is absurdly large."""
    from PIL import Image, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(data))
        if image.width * image.height > max_pixels:
            raise InputTooLarge(
                f"input[{index}] is a {image.width}x{image.height} image; the limit is {max_pixels} pixels."
            )
        return image.convert("RGB")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        detail = "cannot identify image format" if isinstance(error, UnidentifiedImageError) else str(error)
        raise InvalidInput(f"input[{index}] is not a decodable image: {detail}.") from None


def resample(wave: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """Linear-interpolation resampling (enough for embeddings; no scipy/torchaudio needed)."""
    if from_rate == to_rate or wave.size == 0:
        return wave.astype(np.float32, copy=False)
    duration = wave.shape[0] / from_rate
    target = max(1, int(round(duration * to_rate)))
    positions = np.arange(target, dtype=np.float64) * (from_rate / to_rate)
    return np.interp(positions, np.arange(wave.shape[0], dtype=np.float64), wave).astype(np.float32)


def read_audio(data: bytes, index: int, sampling_rate: int) -> np.ndarray:
    """Decode wav/flac/ogg/mp3 (whatever libsndfile reads) to mono float32 at `sampling_rate`."""
    import soundfile

    try:
        wave, rate = soundfile.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, TypeError, ValueError) as error:
        raise InvalidInput(f"input[{index}] is not decodable audio (wav, flac, ogg or mp3): {error}.") from None
    if wave.shape[0] == 0:
        raise InvalidInput(f"input[{index}] is audio without samples.")
    return resample(wave.mean(axis=1), int(rate), sampling_rate)
