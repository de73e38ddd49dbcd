"""Find sensitive data in a request, in its text and inside its images and PDFs.

Patterns come from LiteLLM's content-filter guardrail library (emails, phones, IBANs, card
numbers, ...) plus patterns and keywords configured in `gateway.escalation`; matches that carry
a checksum (cards: Luhn, IBAN: mod 97, Spanish DNI/NIE: check letter) must pass it. Images and
PDFs are read locally (PDF text layer, else OCR with RapidOCR), so no attachment leaves the
machine to be inspected.
"""

from __future__ import annotations

import asyncio
import functools
import io
import re
from collections.abc import Iterable

from fastapi import HTTPException

from plugins.settings import gateway_settings

DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
CARD_PATTERNS = {"credit_card", "visa", "mastercard", "amex", "discover"}
IBAN_PATTERNS = {"iban", "eu_iban_enhanced", "iban_grouped"}


def luhn_valid(number: str) -> bool:
    digits = [int(char) for char in re.sub(r"\D", "", number)]
    if not 13 <= len(digits) <= 19:
        return False
    total = sum(digits[-1::-2]) + sum(sum(divmod(2 * digit, 10)) for digit in digits[-2::-2])
    return total % 10 == 0


def iban_valid(value: str) -> bool:
    compact = re.sub(r"\s", "", value).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", compact):
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1


def spanish_id_valid(value: str) -> bool:
    compact = value.upper().replace("-", "").replace(" ", "")
    number = compact[:-1].replace("X", "0").replace("Y", "1").replace("Z", "2")
    return number.isdigit() and DNI_LETTERS[int(number) % 23] == compact[-1]


CHECKSUMS = {**{name: luhn_valid for name in CARD_PATTERNS}, **{name: iban_valid for name in IBAN_PATTERNS},
             "es_dni": spanish_id_valid, "es_nie": spanish_id_valid}


@functools.lru_cache(maxsize=1)
def _patterns() -> tuple[tuple[str, re.Pattern], ...]:
    from litellm.proxy.guardrails.guardrail_hooks.litellm_content_filter.patterns import get_compiled_pattern

    settings = gateway_settings("escalation")
    compiled = [(name, get_compiled_pattern(name)) for name in settings.get("litellm_patterns") or []]
    compiled += [(name, re.compile(regex)) for name, regex in (settings.get("patterns") or {}).items()]
    keywords = [re.escape(word) for word in settings.get("keywords") or []]
    if keywords:
        compiled.append(("keyword", re.compile(r"\b(?:" + "|".join(keywords) + r")\b", re.IGNORECASE)))
    return tuple(compiled)


def find_sensitive(texts: Iterable[str]) -> list[str]:
    """Names of the kinds of sensitive data found (e.g. ["email", "es_dni"]), in pattern order."""
    found: list[str] = []
    for text in texts:
        for name, pattern in _patterns():
            if name in found:
                continue
            check = CHECKSUMS.get(name)
            if any(check is None or check(match.group(0)) for match in pattern.finditer(text)):
                found.append(name)
    return found


def message_texts(messages: object) -> list[str]:
    """The text of every message: string contents and text parts."""
    texts = []
    for message in messages if isinstance(messages, list) else []:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str):
            texts.append(content)
        for part in content if isinstance(content, list) else []:
            if isinstance(part, dict) and part.get("type") == "text" and isinstance(part.get("text"), str):
                texts.append(part["text"])
    return texts


@functools.lru_cache(maxsize=1)
def _ocr_engine():
    from rapidocr_onnxruntime import RapidOCR

    return RapidOCR()


def _ocr(image) -> str:
    import numpy as np

    max_side = int(gateway_settings("escalation").get("ocr_max_side", 1600))
    image = image.convert("RGB")
    image.thumbnail((max_side, max_side))
    result, _ = _ocr_engine()(np.array(image))
    return " ".join(line[1] for line in result or [])


def attachment_text(kind: str, data: bytes) -> str:
    """Text read locally from an image (OCR) or a PDF (text layer, else OCR of its pages)."""
    from PIL import Image

    if kind == "image":
        try:
            image = Image.open(io.BytesIO(data))
            image.load()
        except Exception as error:  # an image nobody can read must not pass unchecked, nor crash
            raise HTTPException(400, f"Image could not be decoded for the sensitive-data check: {error}") from None
        return _ocr(image)
    if kind != "pdf":
        return ""
    import pypdfium2

    document = pypdfium2.PdfDocument(data)
    try:
        pages = [page.get_textpage().get_text_range() for page in document]
        if sum(len(text.strip()) for text in pages) >= 20:
            return "\n".join(pages)
        max_pages = int(gateway_settings("escalation").get("ocr_max_pages", 5))
        return "\n".join(_ocr(document[index].render(scale=2).to_pil()) for index in range(min(len(document),
                                                                                                max_pages)))
    finally:
        document.close()


async def scan_request(messages: object, attachments: list) -> list[str]:
    """Kinds of sensitive data in the messages and their image/PDF attachments (OCR off the event loop)."""
    found = find_sensitive(message_texts(messages))
    if found or not gateway_settings("escalation").get("scan_attachments", True):
        return found
    for attachment in attachments:
        if attachment.kind in ("image", "pdf"):
            text = await asyncio.to_thread(attachment_text, attachment.kind, attachment.read())
            found = find_sensitive([text])
            if found:
                return found
    return found
