"""Flexible attachments made into exactly what is sent to Gemini, so the scan reads those very bytes.

- Images: re-encoded (JPEG stays JPEG, anything else PNG), first frame only, EXIF rotation applied
  to the pixels, alpha flattened onto white, 16-bit greys scaled to 8-bit, at most
  `gateway.escalation.ocr_max_side` pixels, no metadata (EXIF, XMP, ICC, PNG text chunks). OCR then
  reads these pixels at their own size.
- PDFs: each page rendered locally (annotations and form appearances included) to a JPEG; Gemini
  gets a new PDF holding only those JPEGs, so nothing a PDF can hide (metadata, outlines, embedded
  files, hidden or lying text layers, old revisions) leaves. More pages than `ocr_max_pages` cannot
  all be read: the caller handles the PDF as unscanned (strict).
- Audio and video: remuxed without container metadata, chapters, attached pictures or subtitle and
  data streams: only the first audio (and video) stream leaves, packets untouched.
"""

from __future__ import annotations

import io
import tempfile
from dataclasses import dataclass
from typing import Any, BinaryIO, cast

import numpy as np
from PIL import Image

from plugins.attachments import media
from plugins.platform.errors import GatewayError
from plugins.platform.settings import gateway_settings

ORIENTATIONS = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
                5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
                8: Image.Transpose.ROTATE_90}
SIXTEEN_BIT = ("I;16", "I;16B", "I;16L", "I;16N", "I", "F")
MUXERS = {"video/mp4": "mp4", "audio/mp4": "ipod", "video/quicktime": "mov", "video/webm": "webm",
          "video/mpeg": "mpeg", "video/x-msvideo": "avi", "video/x-flv": "flv", "video/x-ms-wmv": "asf",
          "video/3gpp": "3gp", "audio/mpeg": "mp3", "audio/x-wav": "wav", "audio/ogg": "ogg",
          "audio/x-flac": "flac", "audio/aac": "adts", "audio/x-aiff": "aiff"}
SPOOL_BYTES = 8 * 1024 * 1024  # a remuxed clip past this goes to a temporary file


def _max_side() -> int:
    return int(gateway_settings("escalation")["ocr_max_side"])


def _eight_bit(image: Image.Image) -> Image.Image:
    """16-bit (or 32-bit, float) greys scaled into 0..255 as a viewer shows them, not clipped."""
    pixels = np.asarray(image, dtype=np.float64)
    top = 65535.0 if image.mode != "F" and pixels.max(initial=0) > 255 else max(255.0, float(pixels.max(initial=0)))
    return Image.fromarray(np.clip(pixels * 255.0 / top, 0, 255).astype(np.uint8), mode="L")


def flatten(image: Image.Image) -> Image.Image:
    """An RGB or L image that looks as `image` does on a white page: no alpha, 8 bits per channel."""
    if image.mode in SIXTEEN_BIT:
        return _eight_bit(image)
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        page = Image.new("RGB", rgba.size, "white")
        page.paste(rgba, mask=rgba.getchannel("A"))
        return page
    if image.mode in ("L", "RGB"):
        return image
    return image.convert("L" if image.mode == "1" else "RGB")


def image(data: bytes) -> bytes:
    """The image Gemini gets (and OCR reads): see the module docstring."""
    try:
        return _image(data)
    finally:
        media.release_memory()


def _image(data: bytes) -> bytes:
    max_side = _max_side()
    source = media.open_image(data, draft_side=max_side)
    lossy = source.format == "JPEG"
    turn = ORIENTATIONS.get(source.getexif().get(0x0112, 1))  # EXIF goes: apply its rotation to the pixels
    if source.mode != "P" and max(source.size) >= 2 * max_side:  # shrink before any converted copy is made
        source = source.reduce(max(source.size) // max_side)
    if turn is not None:
        source = source.transpose(turn)
    flat = flatten(source)
    if max(flat.size) > max_side:
        flat = flat.copy() if flat is source else flat
        flat.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    flat.info = {}
    output = io.BytesIO()
    if lossy:
        flat.save(output, format="JPEG", quality=92)
    else:
        flat.save(output, format="PNG", compress_level=6)
    return output.getvalue()


@dataclass(frozen=True)
class SanitisedPdf:
    pdf: bytes
    pages: list[bytes]  # the JPEG of each page, as embedded in `pdf`
    text: str  # the original text layer, scanned too


def _image_pdf(pages: list[tuple[bytes, int, int, float, float]]) -> bytes:
    """A PDF whose pages each show one JPEG (bytes, pixel width, height, page width, height in points)."""
    objects: list[bytes] = []
    kids = []
    tree = 2 + 3 * len(pages)
    for number, (jpeg, width, height, points_w, points_h) in enumerate(pages):
        first = 2 + 3 * number
        objects.append(f"<< /Type /XObject /Subtype /Image /Width {width} /Height {height} /ColorSpace /DeviceRGB "
                       f"/BitsPerComponent 8 /Filter /DCTDecode /Length {len(jpeg)} >>\nstream\n".encode()
                       + jpeg + b"\nendstream")
        draw = f"q {points_w:.2f} 0 0 {points_h:.2f} 0 0 cm /Im0 Do Q".encode()
        objects.append(f"<< /Length {len(draw)} >>\nstream\n".encode() + draw + b"\nendstream")
        objects.append(f"<< /Type /Page /Parent {tree} 0 R /MediaBox [0 0 {points_w:.2f} {points_h:.2f}] "
                       f"/Contents {first + 1} 0 R /Resources << /XObject << /Im0 {first} 0 R >> >> >>".encode())
        kids.append(f"{first + 2} 0 R")
    objects.append(f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(pages)} >>".encode())
    objects.insert(0, f"<< /Type /Catalog /Pages {tree} 0 R >>".encode())
    output = io.BytesIO()
    output.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(output.tell())
        output.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = output.tell()
    output.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    output.write(b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets))
    output.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return output.getvalue()


def pdf(data: bytes) -> SanitisedPdf | None:
    """The PDF Gemini gets, rebuilt from page images (see the module docstring); None when it has more
    pages than `gateway.escalation.ocr_max_pages` (the scan could not read them all)."""
    import pypdfium2

    settings = gateway_settings("escalation")
    quality = int(gateway_settings("attachments")["strict"]["jpeg_quality"])
    try:
        document = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as error:
        raise GatewayError(400, f"PDF could not be opened: {error}") from None
    try:
        if len(document) > int(settings["ocr_max_pages"]):
            return None
        pages, texts, built = [], [], []
        for page in document:
            texts.append(page.get_textpage().get_text_range())
            rendered = media.render_page(page, 4.0, _max_side()).convert("RGB")
            output = io.BytesIO()
            rendered.save(output, format="JPEG", quality=quality)
            pages.append(output.getvalue())
            built.append((pages[-1], rendered.width, rendered.height, *page.get_size()))
        return SanitisedPdf(pdf=_image_pdf(built), pages=pages, text="\n".join(texts))
    finally:
        document.close()
        media.release_memory()


def without_metadata(clip: BinaryIO, kind: str, detected: str) -> BinaryIO:
    """The clip remuxed into its own container type with only its first audio (and video) stream, and
    no metadata: the packets the transcript and the frames were read from, nothing else. Read from and
    written to spooled files, a packet at a time: a 100 MB clip is never held in memory."""
    import av

    from plugins.attachments.audio_windows import undecodable

    muxer = MUXERS.get(detected)
    if muxer is None:
        raise GatewayError(415, f"{detected} cannot be rewritten without its metadata here.")
    output = cast(BinaryIO, tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES))  # noqa: SIM115 - returned
    clip.seek(0)
    try:
        with av.open(clip, mode="r") as source:
            chosen: list[Any] = list(source.streams.audio[:1])
            if kind == "video":
                chosen += [stream for stream in source.streams.video
                           if not stream.disposition & av.stream.Disposition.attached_pic][:1]
            if not chosen:
                raise GatewayError(400, f"The {kind} file holds no {kind} stream.")
            with av.open(output, mode="w", format=muxer, options={"fflags": "+bitexact"}) as sink:
                mapping = {stream.index: sink.add_stream_from_template(stream) for stream in chosen}
                for target in mapping.values():
                    target.metadata.clear()
                for packet in source.demux(chosen):
                    if packet.dts is None:
                        continue
                    packet.stream = mapping[packet.stream.index]
                    sink.mux(packet)
    except av.FFmpegError as error:  # what cannot be remuxed cannot be read either
        output.close()
        raise undecodable(error) from None
    except BaseException:
        output.close()
        raise
    output.seek(0)
    return output
