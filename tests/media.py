"""Real media files of chosen sizes, made locally (Pillow, soundfile) for attachment tests."""

from __future__ import annotations

import base64
import io

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


def pdf(pages: int = 2, text: str = "", text_page: int = 0) -> bytes:
    """An image-only PDF (no text layer): any text on it (on page `text_page`) can only be read by OCR."""
    images = [Image.new("RGB", (300, 400), (255, 255, 255 - 20 * (page % 10))) for page in range(pages)]
    if text:
        images[text_page] = Image.open(io.BytesIO(text_image(text, (1000, 300)))).convert("RGB")
    output = io.BytesIO()
    images[0].save(output, format="PDF", save_all=True, append_images=images[1:])
    return output.getvalue()


def pdf_document(pages: list[tuple[str, str | bytes]], size: tuple[float, float] = (612, 792)) -> bytes:
    """A PDF written by hand: each page is ("text", words in its text layer) or ("image", JPEG bytes drawn
    over the page), on pages of `size` points."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    page_ids = []
    pages_id = len(pages) * 3 + 2  # object numbers are fixed below: font, then 3 per page, then the tree
    for kind, value in pages:
        if kind == "text":
            escaped = str(value).replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            stream = f"BT /F1 18 Tf 40 {size[1] - 80} Td ({escaped}) Tj ET".encode()
            resources = f"<< /Font << /F1 {font} 0 R >> >>".encode()
            extra = add(b"<< >>")
        else:
            data = bytes(value)
            width, height = Image.open(io.BytesIO(data)).size
            extra = add(f"<< /Type /XObject /Subtype /Image /Width {width} /Height {height} /ColorSpace /DeviceRGB "
                        f"/BitsPerComponent 8 /Filter /DCTDecode /Length {len(data)} >>\nstream\n".encode()
                        + data + b"\nendstream")
            shown = (size[0] - 80, (size[0] - 80) * height / width)  # its own aspect ratio, near the top
            stream = f"q {shown[0]} 0 0 {shown[1]} 40 {size[1] - 80 - shown[1]} cm /Im1 Do Q".encode()
            resources = f"<< /XObject << /Im1 {extra} 0 R >> >>".encode()
        content = add(f"<< /Length {len(stream)} >>\nstream\n".encode() + stream + b"\nendstream")
        page_ids.append(add(f"<< /Type /Page /Parent {pages_id} 0 R /MediaBox [0 0 {size[0]} {size[1]}] "
                            f"/Contents {content} 0 R /Resources ".encode() + resources + b" >>"))
    kids = " ".join(f"{page} 0 R" for page in page_ids)
    assert add(f"<< /Type /Pages /Kids [{kids}] /Count {len(page_ids)} >>".encode()) == pages_id
    catalog = add(f"<< /Type /Catalog /Pages {pages_id} 0 R >>".encode())
    output = io.BytesIO()
    output.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(output.tell())
        output.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = output.tell()
    output.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    output.write(b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets))
    output.write(f"trailer\n<< /Size {len(objects) + 1} /Root {catalog} 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return output.getvalue()


def jpeg_of(png_bytes: bytes) -> bytes:
    output = io.BytesIO()
    Image.open(io.BytesIO(png_bytes)).convert("RGB").save(output, format="JPEG", quality=95)
    return output.getvalue()


def page_bomb_pdf(side_points: float = 14400) -> bytes:
    """A PDF of a few hundred bytes whose one page is `side_points` square (200 inches at 14400)."""
    return pdf_document([("text", "A very large page.")], size=(side_points, side_points))


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
    """A real MP4 (MPEG-4 video of noise frames, which do not compress) of at least `min_bytes`: the gateway
    decodes video locally (strict handling, the flexible scan), so a stand-in of random bytes no longer passes."""
    import av

    rng = np.random.default_rng(seed)
    output = io.BytesIO()
    with av.open(output, mode="w", format="mp4") as container:
        stream = container.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt, stream.bit_rate = 320, 240, "yuv420p", 40_000_000
        while output.tell() < min_bytes or not stream.frames:
            pixels = rng.integers(0, 256, (240, 320, 3), dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return output.getvalue()


def data_uri(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def encoded(pcm: np.ndarray, rate: int, kind: str) -> bytes:
    """Mono float32 `pcm` encoded with PyAV as a real user's recorder would: mp3 (libmp3lame, 32 kbps,
    22.05 kHz), m4a (AAC), ogg (Opus, 48 kHz) or wav (16-bit PCM)."""
    import av

    codec, form, out_rate = {"mp3": ("libmp3lame", "mp3", 22050), "m4a": ("aac", "ipod", 22050),
                             "ogg": ("libopus", "ogg", 48000), "wav": ("pcm_s16le", "wav", rate)}[kind]
    output = io.BytesIO()
    with av.open(output, mode="w", format=form) as container:
        stream = container.add_stream(codec, rate=out_rate)
        stream.layout = "mono"
        if kind != "wav":
            stream.bit_rate = 32000
        for start in range(0, pcm.size, rate):
            frame = av.AudioFrame.from_ndarray(pcm[start:start + rate].reshape(1, -1).astype("float32"),
                                               format="flt", layout="mono")
            frame.sample_rate = rate
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return output.getvalue()
