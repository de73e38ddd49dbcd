"""Real media files of chosen sizes, made locally (Pillow, soundfile) for attachment tests."""

from __future__ import annotations

import base64
import io
import struct

import numpy as np
import soundfile
from PIL import Image, ImageDraw, ImageFont

MB = 1024 * 1024


def png(width: int = 64, height: int = 48, color: tuple = (200, 30, 30)) -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (width, height), color).save(output, format="PNG")
    return output.getvalue()


def noisy_jpeg(min_bytes: int, seed: int = 0) -> bytes:
    """A JPEG of random noise at least `min_bytes` long (noise does not compress)."""
    side = 512
    while True:
        pixels = (np.random.default_rng(seed).random((side, side, 3)) * 255).astype("uint8")
        output = io.BytesIO()
        Image.fromarray(pixels).save(output, format="JPEG", quality=95)
        if output.tell() >= min_bytes:
            return output.getvalue()
        side = int(side * 1.3)


def noisy_png(side: int, seed: int = 0) -> bytes:
    """A PNG of random noise: about side * side * 3 bytes, since noise does not compress."""
    pixels = (np.random.default_rng(seed).random((side, side, 3)) * 255).astype("uint8")
    output = io.BytesIO()
    Image.fromarray(pixels).save(output, format="PNG", compress_level=1)
    return output.getvalue()


def text_image(text: str, size: tuple[int, int] = (900, 120)) -> bytes:
    image = Image.new("RGB", size, "white")
    ImageDraw.Draw(image).text((10, 40), text, fill="black", font=ImageFont.load_default(size=30))
    output = io.BytesIO()
    image.save(output, format="PNG")
    return output.getvalue()


def pdf(pages: int = 2, text: str = "") -> bytes:
    """An image-only PDF (no text layer): any text on it can only be read by OCR."""
    images = [Image.new("RGB", (300, 400), (255, 255, 255 - 40 * page)) for page in range(pages)]
    if text:
        images[0] = Image.open(io.BytesIO(text_image(text, (1000, 300)))).convert("RGB")
    output = io.BytesIO()
    images[0].save(output, format="PDF", save_all=True, append_images=images[1:])
    return output.getvalue()


def wav(seconds: float = 0.5, rate: int = 16000, channels: int = 1, fmt: str = "WAV") -> bytes:
    """A 440 Hz tone in any container soundfile writes (WAV, FLAC, OGG, MP3)."""
    tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(int(seconds * rate)) / rate)).astype("float32")
    output = io.BytesIO()
    soundfile.write(output, np.stack([tone] * channels, axis=1), rate, format=fmt)
    return output.getvalue()


def mp3(min_bytes: int, seed: int = 1) -> bytes:
    """A real MP3: a short encoded clip repeated (MPEG frames concatenate) to reach `min_bytes`."""
    rate = 44100
    noise = np.random.default_rng(seed).uniform(-0.5, 0.5, (rate * 5, 2)).astype("float32")
    output = io.BytesIO()
    soundfile.write(output, noise, rate, format="MP3")
    clip = output.getvalue()
    return clip * max(1, -(-min_bytes // len(clip)))


def mp4(min_bytes: int, seed: int = 2) -> bytes:
    """An ISO-BMFF file (ftyp + mdat boxes) of at least `min_bytes`, typed video/mp4 by its bytes."""
    ftyp = b"ftypisom" + struct.pack(">I", 512) + b"isomiso2avc1mp41"
    ftyp = struct.pack(">I", len(ftyp) + 4) + ftyp
    payload = np.random.default_rng(seed).bytes(max(0, min_bytes - len(ftyp) - 8))
    return ftyp + struct.pack(">I", len(payload) + 8) + b"mdat" + payload


def data_uri(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"
