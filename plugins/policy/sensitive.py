"""Find sensitive data in a request, in its text and inside its images, PDFs, audio and video.

Patterns come from LiteLLM's content-filter guardrail library (emails, phones, IBANs, card
numbers, ...) plus patterns and keywords configured in `gateway.escalation`; matches that carry
a checksum (cards: Luhn, IBAN: mod 97, Spanish DNI/NIE: check letter) must pass it. Images and
PDFs are read locally (PDF text layer, else OCR with RapidOCR), audio is transcribed locally
(faster-whisper) and video is its transcript plus OCR of its keyframes, so no attachment leaves
the machine to be inspected.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import re
import time
import unicodedata
from collections.abc import Iterable
from typing import Any

from fastapi import HTTPException

from plugins.attachments import media
from plugins.platform.admission import local_work
from plugins.platform.metrics import record
from plugins.platform.settings import gateway_settings

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
    compiled = [(name, get_compiled_pattern(name)) for name in settings["litellm_patterns"] or []]
    compiled += [(name, re.compile(regex)) for name, regex in (settings["patterns"] or {}).items()]
    keywords = [re.escape(word) for word in settings["keywords"] or []]
    if keywords:
        compiled.append(("keyword", re.compile(r"\b(?:" + "|".join(keywords) + r")\b", re.IGNORECASE)))
    return tuple(compiled)


FORMAT_CHARACTERS = re.compile(r"[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]")
# Fields of a request body that carry text a model receives (besides messages / input).
TEXT_FIELDS = ("tools", "functions", "tool_choice", "response_format", "text", "prediction", "prompt", "instructions",
               "system")
# Keys whose string values are file bytes, not text.
BINARY_KEYS = ("file_data", "data", "b64_json")
# Reasons that make a request strict because part of it could not be read.
UNSCANNED = ("unscanned-pages", "scan-incomplete")


def normalise(text: str) -> str:
    """Text as a reader sees it: NFKC (full-width digits and letters folded) without invisible format characters."""
    return FORMAT_CHARACTERS.sub("", unicodedata.normalize("NFKC", text))


def find_sensitive(texts: Iterable[str]) -> list[str]:
    """Names of the kinds of sensitive data found (e.g. ["email", "es_dni"]), in pattern order."""
    found: list[str] = []
    for raw in texts:
        text = normalise(raw)
        for name, pattern in _patterns():
            if name in found:
                continue
            check = CHECKSUMS.get(name)
            if any(check is None or check(match.group(0)) for match in pattern.finditer(text)):
                found.append(name)
    return found


def _strings(value: object, depth: int = 0) -> Iterable[str]:
    """Every string in a JSON value (keys included), except inline file bytes and data URIs."""
    if depth > 64:
        return
    if isinstance(value, str):
        if not value.startswith("data:"):
            yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            if key not in BINARY_KEYS:
                yield from _strings(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, depth + 1)


def request_texts(data: dict, messages: object) -> list[str]:
    """Every text that would leave with the request: each message's content, name, tool calls and tool
    results; tool and function definitions; response schemas; Responses instructions."""
    texts = list(_strings(messages))
    for name in TEXT_FIELDS:
        if data.get(name) is not None:
            texts += _strings(data[name])
    return texts


def message_texts(messages: object) -> list[str]:
    """The text of every message, as `request_texts` reads it."""
    return list(_strings(messages))
@functools.lru_cache(maxsize=1)
def _ocr_engine():
    from rapidocr_onnxruntime import RapidOCR

    return RapidOCR()


def ocr_lines(image: Any) -> list[tuple[list, str]]:
    """(box in the image's own pixels, text) of every line OCR reads; the image is read at most
    `ocr_max_side` large."""
    import numpy as np

    max_side = int(gateway_settings("escalation")["ocr_max_side"])
    scale = min(1.0, max_side / max(image.size))
    small = image.convert("RGB")
    if scale < 1:
        small = small.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))))
    result, _ = _ocr_engine()(np.array(small))
    return [([[x / scale, y / scale] for x, y in line[0]], line[1]) for line in result or []]


def _ocr(image: Any) -> str:
    return " ".join(text for _, text in ocr_lines(image))


def _pdf_text(data: bytes) -> tuple[str, bool]:
    """Every page's text layer, plus OCR of the pages that hold images; False when pages went unread."""
    import pypdfium2
    import pypdfium2.raw as pdfium_c

    settings = gateway_settings("escalation")
    max_side = int(settings["ocr_max_side"])
    ocr_budget = int(settings["ocr_max_pages"])
    try:
        document = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as error:
        raise HTTPException(400, f"PDF could not be opened for the sensitive-data check: {error}") from None
    try:
        if len(document) > int(settings["max_pages"]):
            return "", False
        texts, complete = [], True
        for page in document:
            texts.append(page.get_textpage().get_text_range())
            if not any(True for _ in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=4)) and \
                    texts[-1].strip():
                continue  # a text-only page: its text layer is all it says
            if ocr_budget <= 0:
                complete = False
                break
            ocr_budget -= 1
            texts.append(_ocr(media.render_page(page, 2.0, max_side)))
        return "\n".join(texts), complete
    finally:
        document.close()


def attachment_text(kind: str, data: bytes) -> tuple[str, bool]:
    """(text read locally from an image, a PDF, audio or video, whether all of it could be read)."""
    max_side = int(gateway_settings("escalation")["ocr_max_side"])
    if kind == "image":
        return _ocr(media.open_image(data, draft_side=max_side)), True
    if kind == "pdf":
        return _pdf_text(data)
    if kind == "audio":
        from plugins.attachments.transcription import Options, as_written, transcriber

        return as_written(transcriber().transcribe(data, Options(use="scan")).text), True
    if kind == "video":
        from plugins.attachments.video import video_text

        return video_text(data, lambda jpeg: _ocr(media.open_image(jpeg, draft_side=max_side))), True
    return "", True


class ScanCache:
    """Verdicts of attachment scans by (key, sha256 of the bytes, escalation settings): a re-sent image
    costs no OCR. In Redis when configured (shared by replicas), else in this process; entries expire
    after `gateway.escalation.scan_cache_s`. Holds kinds of data found, never the text."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, list[str]]] = {}
        self._redis: Any = None
        self._redis_checked = False

    @staticmethod
    def key(scope: str, sha256: str) -> str:
        settings = json.dumps(gateway_settings("escalation"), sort_keys=True, default=str)
        digest = hashlib.sha256(f"{scope}\0{sha256}\0{settings}".encode()).hexdigest()[:40]
        return f"scan:{digest}"

    def _shared(self) -> Any:
        if not self._redis_checked:
            from plugins.platform.shared_redis import shared_redis

            self._redis, self._redis_checked = shared_redis("sensitive-data scan cache"), True
        return self._redis

    async def get(self, key: str) -> list[str] | None:
        redis = self._shared()
        if redis is not None:
            from plugins.platform.shared_redis import key_prefix

            ok, raw = await redis.run(lambda client: client.get(key_prefix() + key))
            if ok:
                return json.loads(raw) if raw else None
        expires, kinds = self._entries.get(key, (0.0, []))
        return list(kinds) if expires > time.time() else None

    async def put(self, key: str, kinds: list[str]) -> None:
        ttl = int(gateway_settings("escalation")["scan_cache_s"])
        if ttl <= 0:
            return
        redis = self._shared()
        if redis is not None:
            from plugins.platform.shared_redis import key_prefix

            ok, _ = await redis.run(lambda client: client.set(key_prefix() + key, json.dumps(kinds), ex=ttl))
            if ok:
                return
        now = time.time()
        if len(self._entries) >= 10000:
            self._entries = {name: entry for name, entry in self._entries.items() if entry[0] > now}
        self._entries[key] = (now + ttl, list(kinds))


@functools.lru_cache(maxsize=1)
def scan_cache() -> ScanCache:
    return ScanCache()


async def _scan_attachment(attachment, scope: str) -> list[str]:
    key = ScanCache.key(scope, attachment.sha256)
    cached = await scan_cache().get(key)
    if cached is not None:
        return cached
    if attachment.kind in ("audio", "video"):  # wait for the model here, not in a pool worker (503 if missing)
        from plugins.attachments.transcription import transcriber

        await transcriber().ready()
    started = time.monotonic()
    if attachment.kind == "audio":  # from the spooled file, a window at a time, until scan_timeout_s
        from plugins.attachments.transcription import transcriber

        deadline = started + float(gateway_settings("escalation")["scan_timeout_s"])
        text, complete = await local_work().run(transcriber().scan, attachment.stream, deadline)
    else:
        text, complete = await local_work().run(attachment_text, attachment.kind, attachment.read())
    record("scan_seconds", attachment.kind, value=time.monotonic() - started)
    kinds = find_sensitive([text]) + ([] if complete else ["unscanned-pages"])
    await scan_cache().put(key, kinds)
    return kinds


async def scan_request(texts: list[str], attachments: list, scope: str = "") -> list[str]:
    """Kinds of sensitive data in the request's texts and its attachments (images, PDFs, audio, video), read locally and
    concurrently within the local-work pool (verdicts cached per key and content). A part that cannot
    be read in time counts as found."""
    settings = gateway_settings("escalation")
    found = find_sensitive(texts)
    readable = [item for item in attachments if item.kind in ("image", "pdf", "audio", "video")]
    if found or not readable or not settings["scan_attachments"]:
        return found
    try:
        results = await asyncio.wait_for(asyncio.gather(*(_scan_attachment(item, scope) for item in readable)),
                                         timeout=float(settings["scan_timeout_s"]))
    except asyncio.TimeoutError:
        return ["scan-incomplete"]
    return list(dict.fromkeys(kind for kinds in results for kind in kinds))
