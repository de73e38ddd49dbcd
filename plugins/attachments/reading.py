"""What an attachment says, read on this machine for the sensitive-data scan: OCR (RapidOCR) of images,
PDF page images and video frames, with each line's confidence, in two passes (as is; equalised and turned
upside down) and in reading orders by row and by column, plus every QR code's and barcode's payload
(`codes.py`); PDF text layers; transcripts of audio (local Whisper). Nothing leaves the machine to be read.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fastapi import HTTPException

from plugins.attachments import media, ocr
from plugins.attachments.ocr import Line
from plugins.platform.settings import gateway_settings


def _ocr_passes(image: Any) -> tuple[list[Line], list[Line]]:
    """The lines OCR reads in the image as it is, and in a second view: histogram-equalised (text printed
    faint, #f2f2f2 on white, turns dark) and turned 180 degrees (upside-down photos, and lines turned
    upside down within a page), its boxes mapped back to the image's pixels."""
    from PIL import ImageOps

    first = ocr.read_lines(image)
    width, height = image.size
    second = [replace(line, box=[[width - x, height - y] for x, y in line.box])
              for line in ocr.read_lines(ImageOps.equalize(image.convert("L")).rotate(180), turn_lines=True)]
    return first, second


def ocr_lines(image: Any) -> list[tuple[list, str]]:
    """(box in the image's own pixels, text) of every line either OCR pass reads confidently (score >= 0.5,
    RapidOCR's own cut); the image is read at most `ocr_max_side` large."""
    first, second = _ocr_passes(image)
    return [(line.box, ocr.spaced(line.text)) for line in first + second if line.score >= 0.5]


def _by_columns(lines: list[Line]) -> str:
    """The lines read column by column, top to bottom (a value wrapping onto the next line of its column,
    beside a second column, is one run of text here; read row by row it is split by the other column)."""
    spans = sorted(((min(x for x, _ in line.box), max(x for x, _ in line.box), min(y for _, y in line.box),
                     ocr.spaced(line.text)) for line in lines), key=lambda span: span[0])
    columns: list[list[tuple[float, float, float, str]]] = []
    for span in spans:
        column = next((column for column in columns if any(span[0] < other[1] and other[0] < span[1]
                                                            for other in column)), None)
        if column is None:
            columns.append([span])
        else:
            column.append(span)
    return "\n".join(" ".join(text for _, _, _, text in sorted(column, key=lambda span: span[2]))
                     for column in columns)


def _outside(codes: list, lines: list[Line]) -> list[Line]:
    """The lines whose centre lies in no decoded code: OCR of a code's modules is noise (a low-confidence
    "8"); what the code says is its payload."""
    def inside(box: list) -> bool:
        x, y = sum(px for px, _ in box) / len(box), sum(py for _, py in box) / len(box)
        return any(left <= x <= right and top <= y <= bottom
                   for left, top, right, bottom in (code.region(4) for code in codes))

    return [line for line in lines if not inside(line.box)]


def image_text(image: Any) -> tuple[str, str]:
    """(what an image says: OCR of both passes, row by row and column by column, and every QR code's and
    barcode's payload; "unreadable-text" when OCR found text it could not read (`ocr.unread`: a line read
    with a score under `gateway.escalation.ocr_min_confidence` (mirrored, blurred, stylised), read as nothing,
    read unsurely, or with glyphs it has no characters for, such as Arabic-Indic digits) and the other pass
    did not read it either, or a code was found that could not be decoded, else "")."""
    from plugins.attachments.codes import codes_text, read_codes

    minimum = float(gateway_settings("escalation")["ocr_min_confidence"])
    codes = read_codes(image)
    first, second = (_outside([code for code in codes if code.readable], lines) for lines in _ocr_passes(image))
    unsure = ocr.unread(first, second, minimum) or any(not code.readable for code in codes)
    texts = [" ".join(ocr.spaced(line.text) for line in first), _by_columns(first),
             " ".join(ocr.spaced(line.text) for line in second if line.score >= 0.5), codes_text(codes)]
    return "\n".join(text for text in texts if text).strip(), "unreadable-text" if unsure else ""


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
            text, unsure = image_text(media.render_page(page, 2.0, max_side))
            texts.append(text)
            unread = unread or unsure
        return "\n".join(texts), unread
    finally:
        document.close()


def _read_image(data: bytes) -> tuple[str, str]:
    max_side = int(gateway_settings("escalation")["ocr_max_side"])
    return image_text(media.open_image(data, draft_side=max_side))


def attachment_text(attachment: Any) -> tuple[str, str]:
    """(text read locally from an image, a PDF or a video; why part of it could not be read, or "").
    Audio is read from its spooled file a window at a time (`audio_scan.scan`).

    A sanitised attachment is read as it will be sent: an image's own pixels, a PDF's page images
    (plus its original text layer), a clip's remuxed streams. Freed memory goes back to the system after."""
    try:
        return _attachment_text(attachment)
    finally:
        media.release_memory()


def _attachment_text(attachment: Any) -> tuple[str, str]:
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
