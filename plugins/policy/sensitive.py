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
import time
from collections.abc import Iterable
from typing import Any

from fastapi import HTTPException

from plugins.attachments import media
from plugins.platform.admission import local_work
from plugins.platform.metrics import record
from plugins.platform.settings import gateway_settings
from plugins.policy.detect import ScanTimeout, find_sensitive

# Reasons that make a request strict because part of it could not be read.
UNSCANNED = ("unscanned-pages", "scan-incomplete")
# Fields of a content part that hold an attachment's bytes (read as a file, not as text).
PAYLOAD_KEYS = ("url", "image_url", "data", "file_data", "file_url")


def attachment_payloads(parts: Iterable[Any]) -> frozenset[int]:
    """ids of the byte strings inside the content parts collected as attachments: those are read as
    files (OCR, PDF text, transcripts), so the text scan skips them. Any other string is text."""
    skip: set[int] = set()
    for part in parts:
        for inner in (part, *(value for value in part.values() if isinstance(value, dict))):
            skip |= {id(value) for key, value in inner.items() if key in PAYLOAD_KEYS and isinstance(value, str)}
    return frozenset(skip)


async def find_sensitive_off_loop(texts: list[str], timeout_s: float | None = None) -> list[str]:
    """`find_sensitive` in a worker thread (the regex engine releases the GIL), bounded by
    `gateway.escalation.scan_timeout_s`: a text that cannot be read in time is `scan-incomplete`."""
    timeout = float(gateway_settings("escalation")["scan_timeout_s"]) if timeout_s is None else timeout_s
    try:
        if sum(len(text) for text in texts) < 4096:  # a thread costs more than reading a short text here
            return find_sensitive(texts, time.monotonic() + timeout)
        return await asyncio.to_thread(find_sensitive, texts, time.monotonic() + timeout)
    except ScanTimeout:
        return ["scan-incomplete"]


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
    text, complete = await local_work().run(attachment_text, attachment.kind, attachment.read())
    record("scan_seconds", attachment.kind, value=time.monotonic() - started)
    kinds = await find_sensitive_off_loop([text]) + ([] if complete else ["unscanned-pages"])
    await scan_cache().put(key, kinds)
    return kinds


async def scan_request(texts: list[str], attachments: list, scope: str = "") -> list[str]:
    """Kinds of sensitive data in the request's texts and its attachments (images, PDFs, audio, video), read locally and
    concurrently within the local-work pool (verdicts cached per key and content). A part that cannot
    be read in time counts as found."""
    settings = gateway_settings("escalation")
    found = await find_sensitive_off_loop(texts)
    readable = [item for item in attachments if item.kind in ("image", "pdf", "audio", "video")]
    if found or not readable or not settings["scan_attachments"]:
        return found
    try:
        results = await asyncio.wait_for(asyncio.gather(*(_scan_attachment(item, scope) for item in readable)),
                                         timeout=float(settings["scan_timeout_s"]))
    except asyncio.TimeoutError:
        return ["scan-incomplete"]
    return list(dict.fromkeys(kind for kinds in results for kind in kinds))
