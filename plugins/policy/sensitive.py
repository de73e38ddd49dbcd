"""Find sensitive data in a request, in its text and inside its images, PDFs, audio and video.

The detectors (patterns, checksums, the spellings they see) are in `policy/detect.py`; the readers of
images, PDFs, audio and video in `attachments/reading.py`. Here: the scan of one request, text off the
event loop and attachments in the local-work pool, with verdicts cached per key and content.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import time
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

from plugins.attachments import reading
from plugins.attachments.audio_scan import request_timeout_s, scan_audio
from plugins.platform.admission import local_work
from plugins.platform.metrics import record
from plugins.platform.settings import gateway_settings
from plugins.policy.detect import ScanTimeout, find_sensitive

# Reasons that make a request strict because part of it could not be read.
UNSCANNED = ("unscanned-pages", "scan-incomplete", "unreadable-text", "unscanned-frames", "unscanned-audio")
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


def request_deadline() -> float:
    """The one deadline (time.monotonic()) every text reading of a request shares: the first scan, the
    re-reading after redaction and the last-step check together take at most
    `gateway.escalation.scan_timeout_s`."""
    return time.monotonic() + float(gateway_settings("escalation")["scan_timeout_s"])


async def find_sensitive_off_loop(texts: list[str], deadline: float | None = None) -> list[str]:
    """`find_sensitive` in a worker thread (the regex engine releases the GIL), bounded by `deadline`
    (default: `gateway.escalation.scan_timeout_s` from now): a text that cannot be read in time, or that
    holds more encoded text than the decode budget, is `scan-incomplete`."""
    deadline = request_deadline() if deadline is None else deadline
    try:
        if sum(len(text) for text in texts) < 4096:  # a thread costs more than reading a short text here
            return find_sensitive(texts, deadline)
        return await asyncio.to_thread(find_sensitive, texts, deadline)
    except ScanTimeout:
        return ["scan-incomplete"]


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


# What this process read in recent attachments, by scan-cache key: a cached verdict still lets the texts
# of a request be read together. Process memory only (never Redis), a bounded number of entries.
_read_texts: OrderedDict[str, str] = OrderedDict()
READ_TEXTS_KEPT = 256


def _remember_text(key: str, text: str) -> None:
    _read_texts[key] = text
    _read_texts.move_to_end(key)
    while len(_read_texts) > READ_TEXTS_KEPT:
        _read_texts.popitem(last=False)


async def _scan_attachment(attachment, scope: str, needs_text: bool = False, timed: bool = False) -> list[str]:
    """Kinds found in one attachment (its text kept on `attachment.read_text`; with `timed`, a recording's
    words in stretches holding a value keep their times on `attachment.heard`, for redaction). A cached
    verdict is used unless the request's texts must be read together with this one's and this process no
    longer has it."""
    if attachment.unscanned:  # could not be prepared for a full read (e.g. a PDF over the OCR budget)
        return [attachment.unscanned]
    layer = hashlib.sha256(attachment.scan_text.encode()).hexdigest() if attachment.scan_text else ""
    key = ScanCache.key(scope, attachment.sha256 + layer)
    cached = await scan_cache().get(key)
    if cached is not None and (key in _read_texts or not needs_text):
        attachment.read_text = _read_texts.get(key, "")
        return cached
    from plugins.attachments.transcription import transcriber

    if attachment.kind in ("audio", "video"):  # wait for the model here, not in a pool worker (503 if missing)
        await transcriber().ready()
    started = time.monotonic()
    if attachment.kind == "audio":  # from the spooled file, a window at a time, within its budget
        attachment.heard = await scan_audio(attachment.stream, started, timed)
        text, unread = attachment.heard.text, "" if attachment.heard.complete else "unscanned-audio"
    else:
        text, unread = await local_work().run(reading.attachment_text, attachment)
    record("scan_seconds", attachment.kind, value=time.monotonic() - started)
    attachment.read_text = text
    _remember_text(key, text)
    kinds = await find_sensitive_off_loop([text]) + ([unread] if unread else [])
    await scan_cache().put(key, kinds)
    return kinds


async def scan_request(texts: list[str], attachments: list, scope: str = "",
                       deadline: float | None = None, timed: bool = False) -> list[str]:
    """Kinds of sensitive data in the request's texts and its attachments (images, PDFs, audio, video), read locally and
    concurrently within the local-work pool (verdicts cached per key and content). A part that cannot
    be read in time counts as found. `timed`: the request may be redacted, so recordings keep the times of
    the words that hold a value."""
    settings = gateway_settings("escalation")
    found = await find_sensitive_off_loop(texts, deadline)
    readable = [item for item in attachments if item.kind in ("image", "pdf", "audio", "video")]
    if found or not readable or not settings["scan_attachments"]:
        return found
    together = len(readable) > 1 or any(text.strip() for text in texts)
    try:
        results = await asyncio.wait_for(
            asyncio.gather(*(_scan_attachment(item, scope, together, timed) for item in readable)),
            timeout=request_timeout_s(readable))
    except asyncio.TimeoutError:
        return ["scan-incomplete"]
    found = list(dict.fromkeys(kind for kinds in results for kind in kinds))
    if not found and together:  # a value split between the typed text and a photo, or two photos
        # Texts already read once: a short budget of its own, even when reading the media used the deadline.
        again = max(deadline or 0.0, time.monotonic() + min(10.0, float(settings["scan_timeout_s"])))
        found = await find_sensitive_off_loop([*texts, *(item.read_text for item in readable)], again)
    return found
