"""What an attachment says, read on this machine for the sensitive-data scan: OCR (RapidOCR) of images,
PDF page images and video frames, with each line's confidence and any QR code OpenCV decodes; PDF text
layers; transcripts of audio (local Whisper). Nothing leaves the machine to be read.
"""

from __future__ import annotations

import functools
from typing import Any

from fastapi import HTTPException

from plugins.attachments import media
from plugins.platform.settings import gateway_settings


@functools.lru_cache(maxsize=1)
def _ocr_engine():
    from rapidocr_onnxruntime import RapidOCR

    return RapidOCR()


def _ocr_read(image: Any) -> tuple[list[tuple[list, str, float]], float]:
    """(box, text, confidence) of every line OCR finds, and the scale the image was read at."""
    import numpy as np

    max_side = int(gateway_settings("escalation")["ocr_max_side"])
    scale = min(1.0, max_side / max(image.size))
    small = image.convert("RGB")
    if scale < 1:
        small = small.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))))
    result, _ = _ocr_engine()(np.array(small), text_score=0.0)  # every line, with its score: we judge them
    return [(line[0], line[1], float(line[2])) for line in result or []], scale


def ocr_lines(image: Any) -> list[tuple[list, str]]:
    """(box in the image's own pixels, text) of every line OCR reads confidently (score >= 0.5, RapidOCR's
    own cut); the image is read at most `ocr_max_side` large."""
    lines, scale = _ocr_read(image)
    return [([[x / scale, y / scale] for x, y in box], text) for box, text, score in lines if score >= 0.5]


def _qr_text(image: Any) -> str:
    """The text of a QR code in the image, when OpenCV decodes one (its finder alone also fires on noise,
    so a QR code it cannot decode is not judged: a known limit, docs/PRIVACY.md)."""
    import cv2
    import numpy as np

    try:
        text, _, _ = cv2.QRCodeDetector().detectAndDecode(np.array(image.convert("L")))
    except cv2.error:
        return ""
    return text or ""


def _ocr(image: Any) -> tuple[str, str]:
    """(the text OCR reads in an image, plus any QR code's; "unreadable-text" when a line was read with a
    confidence under `gateway.escalation.ocr_min_confidence` (mirrored, blurred, stylised), else "")."""
    minimum = float(gateway_settings("escalation")["ocr_min_confidence"])
    lines, _ = _ocr_read(image)
    unsure = any(score < minimum for _, _, score in lines)
    return " ".join([*(text for _, text, _ in lines), _qr_text(image)]).strip(), "unreadable-text" if unsure else ""


def _pdf_text(data: bytes) -> tuple[str, str]:
    """A PDF as it was received (not sanitised: the scan is off or the request is strict-bound): every
    page's text layer, plus OCR of every page rendered (text drawn as vector shapes or images is in no text
    layer); "unscanned-pages" when pages went unread."""
    import pypdfium2

    settings = gateway_settings("escalation")
    max_side = int(settings["ocr_max_side"])
    ocr_budget = int(settings["ocr_max_pages"])
    try:
        document = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as error:
        raise HTTPException(400, f"PDF could not be opened for the sensitive-data check: {error}") from None
    try:
        if len(document) > int(settings["max_pages"]):
            return "", "unscanned-pages"
        texts, unread = [], ""
        for page in document:
            texts.append(page.get_textpage().get_text_range())
            if ocr_budget <= 0:
                unread = "unscanned-pages"
                break
            ocr_budget -= 1
            text, unsure = _ocr(media.render_page(page, 2.0, max_side))
            texts.append(text)
            unread = unread or unsure
        return "\n".join(texts), unread
    finally:
        document.close()


def _read_image(data: bytes) -> tuple[str, str]:
    max_side = int(gateway_settings("escalation")["ocr_max_side"])
    return _ocr(media.open_image(data, draft_side=max_side))


def attachment_text(attachment: Any) -> tuple[str, str]:
    """(text read locally from an image, a PDF or a video; why part of it could not be read, or "").
    Audio is read from its spooled file a window at a time (`Transcriber.scan`).

    A sanitised attachment is read as it will be sent: an image's own pixels, a PDF's page images
    (plus its original text layer), a clip's remuxed streams."""
    kind = attachment.kind
    if kind == "video":  # read from its spooled file, never whole
        from plugins.attachments.video import video_text

        return video_text(attachment.stream, _read_image)
    if kind == "image":
        return _read_image(attachment.read())
    if kind == "pdf" and attachment.scan_pages:
        read = [_read_image(page) for page in attachment.scan_pages]
        return "\n".join([attachment.scan_text, *(text for text, _ in read)]), \
            next((unsure for _, unsure in read if unsure), "")
    if kind == "pdf":
        return _pdf_text(attachment.read())
    return "", ""
