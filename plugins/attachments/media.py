"""What a file really is (from its bytes) and the local-only transforms strict mode needs.

Type detection never trusts the client's filename or content type. Strict-mode transforms
(downscaling images, rasterising PDFs) run in this process, so nothing leaves the machine.
"""

from __future__ import annotations

import ctypes
import functools
import io
from typing import BinaryIO

import filetype
from fastapi import HTTPException
from PIL import Image

# Detected MIME type -> (kind, MIME type we send). Images Gemini can't read are re-encoded as PNG.
ACCEPTED_TYPES: dict[str, tuple[str, str]] = {
    "image/jpeg": ("image", "image/jpeg"),
    "image/png": ("image", "image/png"),
    "image/webp": ("image", "image/webp"),
    "image/gif": ("image", "image/png"),
    "image/bmp": ("image", "image/png"),
    "image/tiff": ("image", "image/png"),
    "image/apng": ("image", "image/png"),
    "audio/mpeg": ("audio", "audio/mp3"),
    "audio/x-wav": ("audio", "audio/wav"),
    "audio/ogg": ("audio", "audio/ogg"),
    "audio/x-flac": ("audio", "audio/flac"),
    "audio/aac": ("audio", "audio/aac"),
    "audio/x-aiff": ("audio", "audio/aiff"),
    "audio/mp4": ("audio", "audio/mp4"),
    "video/mp4": ("video", "video/mp4"),
    "video/mpeg": ("video", "video/mpeg"),
    "video/quicktime": ("video", "video/quicktime"),
    "video/x-msvideo": ("video", "video/x-msvideo"),
    "video/x-flv": ("video", "video/x-flv"),
    "video/webm": ("video", "video/webm"),
    "video/x-ms-wmv": ("video", "video/x-ms-wmv"),
    "video/3gpp": ("video", "video/3gpp"),
    "application/pdf": ("pdf", "application/pdf"),
}
SNIFF_BYTES = 8192


def detect_type(stream: BinaryIO) -> tuple[str, str, str]:
    """(kind, MIME type to send, MIME type detected) of a seekable stream; 415 for anything else."""
    stream.seek(0)
    head = stream.read(SNIFF_BYTES)
    stream.seek(0)
    guess = filetype.guess(head)
    detected = guess.mime if guess else "unknown"
    if detected not in ACCEPTED_TYPES:
        accepted = ", ".join(sorted(ACCEPTED_TYPES))
        raise HTTPException(415, f"Unsupported media type: detected {detected}. Accepted types: {accepted}.")
    kind, mime = ACCEPTED_TYPES[detected]
    return kind, mime, detected


def _limit(name: str, default: float) -> float:
    from plugins.platform.settings import gateway_settings

    return float(gateway_settings("attachments").get(name, default))


def open_image(data: bytes, draft_side: int | None = None) -> Image.Image:
    """Decode an image, refusing before allocation one whose pixel count is over
    `gateway.attachments.max_image_pixels` (decompression bombs). JPEGs needed only at
    `draft_side` are decoded at a reduced scale."""
    max_pixels = int(_limit("max_image_pixels", 50_000_000))
    try:
        image = Image.open(io.BytesIO(data))
        if image.width * image.height > max_pixels:
            raise HTTPException(413, f"Image of {image.width}x{image.height} pixels exceeds the limit of {max_pixels} "
                                "pixels (gateway.attachments.max_image_pixels).")
        if draft_side:
            image.draft("RGB", (draft_side, draft_side))
        image.load()
    except HTTPException:
        raise
    except Image.DecompressionBombError as error:
        raise HTTPException(413, f"Image too large to decode safely: {error}") from None
    except Exception as error:
        raise HTTPException(400, f"Image could not be decoded: {error}") from None
    return image



def release_memory() -> None:
    """Hand freed pages back to the system after a large job: glibc keeps them in the worker thread's arena
    otherwise, and a few big decodes leave the process hundreds of MB larger."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


@functools.lru_cache(maxsize=1)
def release_freed_memory_promptly() -> None:
    """From now on, buffers of 256 kB or more are mapped on their own and returned to the system when freed
    (glibc's M_MMAP_THRESHOLD, fixed). By default glibc raises that threshold to the largest buffer freed
    so far (up to 32 MB), after which ONNX Runtime's freed activations stay in the heap: an OCR pass then
    held ~250 MB after it ended, and the next pass's peak stacked on top. Once per process."""
    try:
        ctypes.CDLL("libc.so.6").mallopt(-3, 256 * 1024)  # M_MMAP_THRESHOLD
    except (OSError, AttributeError):  # not glibc
        pass


def render_page(page, scale: float, max_side: int) -> Image.Image:
    """A PDF page as an image no larger than needed: at most `scale` (dpi / 72), at most `max_side` pixels
    on its longest side, and at most `gateway.attachments.max_render_pixels`, whatever the page's size."""
    width, height = page.get_size()
    max_pixels = _limit("max_render_pixels", 16_000_000)
    scale = min(scale, max_side / max(width, height, 1), (max_pixels / max(width * height, 1)) ** 0.5)
    return page.render(scale=max(scale, 0.01)).to_pil()


def reencode_png(data: bytes) -> bytes:
    """A PNG copy (first frame) of an image in a format the backend does not read."""
    output = io.BytesIO()
    open_image(data).save(output, format="PNG")
    return output.getvalue()


def fit_image(data: bytes, max_side: int, max_bytes: int, quality: int) -> tuple[bytes, str]:
    """Downscale / re-encode an image locally so a local vision model can take it.

    Returns (bytes, mime). Small JPEG/PNG images pass through untouched.
    """
    image = open_image(data, draft_side=max_side)
    fits = max(image.size) <= max_side and len(data) <= max_bytes and image.format in ("JPEG", "PNG")
    if fits:
        return data, Image.MIME[str(image.format)]
    image = image.convert("RGB")
    image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    output = io.BytesIO()
    image.save(output, format="JPEG", quality=quality, optimize=True)
    while output.tell() > max_bytes and max(image.size) > 64:
        image.thumbnail((image.width * 3 // 4, image.height * 3 // 4), Image.Resampling.LANCZOS)
        output = io.BytesIO()
        image.save(output, format="JPEG", quality=quality, optimize=True)
    return output.getvalue(), "image/jpeg"


def rasterise_pdf(stream: BinaryIO, dpi: int, max_pages: int, max_side: int, quality: int) -> list[bytes]:
    """Render each page of a PDF to a JPEG, locally, for vision/OCR models that read images only."""
    import pypdfium2

    stream.seek(0)
    try:
        document = pypdfium2.PdfDocument(stream.read())
    except pypdfium2.PdfiumError as error:
        raise HTTPException(400, f"PDF could not be opened: {error}") from None
    try:
        if len(document) > max_pages:
            raise HTTPException(
                413, f"PDF has {len(document)} pages; strict mode renders at most {max_pages} (config "
                "gateway.attachments.strict.pdf_max_pages)."
            )
        pages = []
        for page in document:
            image = render_page(page, dpi / 72, max_side).convert("RGB")
            image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
            output = io.BytesIO()
            image.save(output, format="JPEG", quality=quality)
            pages.append(output.getvalue())
        return pages
    finally:
        document.close()
