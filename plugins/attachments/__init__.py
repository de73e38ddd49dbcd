"""One pipeline for every attachment, whichever surface it came from.

Multipart uploads (`{"type": "image", "file_index": 0}`) and OpenAI JSON parts (`image_url`,
`input_audio`, `file.file_data` / `file.file_id`: data URLs, base64, or http(s) URLs the gateway
fetches itself; parts.py) become `Attachment`s, are typed from their bytes, made into exactly what
will be sent (flexible: sanitise.py) so the scan reads those very bytes, then placed: inline base64
when small, Gemini File API when large (flexible chat only), or transformed locally (strict:
downscaled images, rasterised PDFs). Strict never uploads.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from fastapi import HTTPException

from plugins.attachments import media, sanitise
from plugins.attachments.file_api import file_api
from plugins.attachments.parts import part_source, reference_of
from plugins.attachments.remote import fetch_url
from plugins.platform.admission import local_work
from plugins.platform.errors import GatewayError
from plugins.platform.settings import gateway_settings
from plugins.surfaces.multipart import uploaded_files

MB = 1024 * 1024
SEED_PART_TYPES = ("image", "audio", "video", "file")


@dataclass
class Attachment:
    """A file in a request: where its bytes are, what it really is, and where it went."""

    stream: BinaryIO
    size: int
    kind: str
    mime: str
    detected: str
    sha256: str
    placement: str = ""
    file_uri: str = ""
    parts: list[dict] = field(default_factory=list)
    name: str = ""  # the client's file name, only to label a transcript
    timestamps: bool | None = None  # the part's `timestamps` option (audio/video transcripts)
    local: dict[str, Any] = field(default_factory=dict)  # what was done locally (transcript, frames), no content
    scan_pages: list[bytes] = field(default_factory=list)  # a sanitised PDF's page images, as sent: what OCR reads
    scan_text: str = ""  # a sanitised PDF's original text layer, scanned as well
    read_text: str = ""  # what the scan read in it (OCR, transcript): read again with the request's other texts
    unscanned: str = ""  # why the scan cannot read it all (e.g. "unscanned-pages"), which makes it strict
    heard: Any = None  # a recording as the scan heard it (audio_scan.Heard), word times where a value is

    def read(self) -> bytes:
        self.stream.seek(0)
        return self.stream.read()

    def summary(self) -> dict[str, Any]:
        where = {"kind": self.kind, "mime": self.mime, "bytes": self.size, "placement": self.placement}
        where = {**where, "local": self.local} if self.local else where
        return {**where, "file_uri": self.file_uri} if self.file_uri else where


def _hash(stream: BinaryIO) -> str:
    digest = hashlib.sha256()
    stream.seek(0)
    while chunk := stream.read(MB):
        digest.update(chunk)
    stream.seek(0)
    return digest.hexdigest()


def _attachment(stream: BinaryIO, size: int) -> Attachment:
    if size == 0:
        raise HTTPException(400, "Attachment is empty.")
    kind, mime, detected = media.detect_type(stream)
    return Attachment(stream=stream, size=size, kind=kind, mime=mime, detected=detected, sha256=_hash(stream))


async def _from_part(part: dict, where: str) -> Attachment | None:
    """The attachment a content part carries (its bytes fetched or decoded), or None for text and
    File API references."""
    kind = part.get("type")
    if kind in SEED_PART_TYPES and "file_index" in part:
        files = uploaded_files.get()
        if not files:
            raise HTTPException(400, "file_index parts need a multipart request carrying 'files'.")
        index = part["file_index"]
        if not isinstance(index, int) or not 0 <= index < len(files):
            raise HTTPException(400, f"file_index {index!r} out of range ({len(files)} files).")
        upload = files[index]
        return _attachment(upload.file, upload.size or 0)
    source = part_source(part, where)
    if source is None or source.kind == "reference":
        return None
    if source.kind == "url":
        stream, size = await fetch_url(source.url, where)
        return _attachment(stream, size)
    return _attachment(io.BytesIO(source.data), len(source.data))


def replace_bytes(attachment: Attachment, data: bytes | BinaryIO, keep_type: bool = False) -> None:
    """Swap an attachment's content for a locally transformed copy (sanitised, redacted), as bytes or a
    spooled file; `keep_type` for a remuxed clip whose container sniffs differently (an M4A reads as MP4
    video)."""
    attachment.stream = io.BytesIO(data) if isinstance(data, bytes) else data
    attachment.size = attachment.stream.seek(0, io.SEEK_END)
    if not keep_type:
        attachment.kind, attachment.mime, attachment.detected = media.detect_type(attachment.stream)
    attachment.sha256 = _hash(attachment.stream)


async def _sanitise(attachment: Attachment, scanning: bool) -> None:
    if attachment.kind == "image":
        replace_bytes(attachment, await local_work().run(sanitise.image, attachment.read()))
    elif attachment.kind == "pdf" and scanning:
        document = await local_work().run(sanitise.pdf, attachment.read())
        if document is None:
            attachment.unscanned = "unscanned-pages"
            return
        replace_bytes(attachment, document.pdf)
        attachment.scan_pages, attachment.scan_text = document.pages, document.text
        attachment.local = {"pages": len(document.pages), "sent_as": "page images"}
    elif attachment.kind in ("audio", "video"):
        clean = await local_work().run(sanitise.without_metadata, attachment.stream, attachment.kind,
                                       attachment.detected)
        replace_bytes(attachment, clean, keep_type=True)


async def prepare_attachments(attachments: list[Attachment], privacy: str, scanning: bool) -> None:
    """Flexible: turn each attachment into exactly what will be sent, before the scan reads it. Images
    are re-encoded (first frame, metadata gone, flattened, at most `escalation.ocr_max_side`); audio and
    video lose their container metadata; PDFs (when scanned) become page images. Strict sends nothing
    out and keeps its own local transforms."""
    if privacy == "flexible" and attachments:
        await asyncio.gather(*(_sanitise(attachment, scanning) for attachment in attachments))


def _data_uri(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def _image_part(mime: str, data: bytes) -> dict:
    return {"type": "image_url", "image_url": {"url": _data_uri(mime, data)}}


def _inline_part(attachment: Attachment) -> dict:
    data = attachment.read()
    if attachment.kind == "image":
        readable = data if attachment.mime == attachment.detected else media.reencode_png(data)
        return _image_part(attachment.mime, readable)
    return {"type": "file", "file": {"file_data": _data_uri(attachment.mime, data), "format": attachment.mime}}


async def _place_strict(attachment: Attachment, settings: dict, dry_run: bool = False) -> None:
    strict = settings["strict"] or {}
    max_side = int(strict["max_image_side"])
    max_bytes = int(float(strict["max_image_mb"]) * MB)
    quality = int(strict["jpeg_quality"])
    accepts = strict["accepts"] or ["image", "pdf"]
    if attachment.kind not in accepts:
        raise HTTPException(
            422,
            f"privacy_mode=strict: no local model takes {attachment.kind} input ({attachment.detected}), and strict "
            f"requests never leave this machine. Use privacy_mode=flexible, or add a local Ollama model that accepts "
            f"{attachment.kind} to the strict group in litellm_config.yaml and list '{attachment.kind}' under "
            "gateway.attachments.strict.accepts.",
        )
    attachment.placement = "local"
    if attachment.kind == "pdf":
        pages = await local_work().run(media.rasterise_pdf, attachment.stream, int(strict["pdf_dpi"]),
                                       int(strict["pdf_max_pages"]), max_side, quality)
        attachment.parts = [_image_part("image/jpeg", page) for page in pages]
    elif attachment.kind == "image":
        data, mime = await local_work().run(media.fit_image, attachment.read(), max_side, max_bytes, quality)
        attachment.parts = [_image_part(mime, data)]
    elif attachment.kind in ("audio", "video"):  # transcribed (and video frames taken) on this machine
        from plugins.attachments.video import strict_media_parts

        timestamps = attachment.timestamps
        if timestamps is None:
            timestamps = bool(gateway_settings("transcription")["timestamps"])
        attachment.parts, attachment.local = await strict_media_parts(  # read from the spooled file
            attachment.kind, attachment.stream, attachment.name, timestamps, dry_run)
    else:
        attachment.parts = [_inline_part(attachment)]


async def _place_flexible(attachments: list[Attachment], settings: dict, key_scope: str, dry_run: bool) -> None:
    threshold = float(settings["inline_threshold_mb"]) * MB
    request_limit = float(settings["inline_request_limit_mb"]) * MB
    inline = [item for item in attachments if item.size < threshold]
    # base64 grows data by a third; upload the largest files until the inline rest fits one request.
    inline.sort(key=lambda item: item.size)
    while inline and sum(item.size for item in inline) * 4 / 3 > request_limit:
        inline.pop()
    for attachment in attachments:
        if attachment in inline:
            attachment.placement = "inline"
            attachment.parts = [] if dry_run else [_inline_part(attachment)]
            continue
        if dry_run:
            attachment.placement = "file_api"
            continue
        uploaded = await file_api().upload(attachment.stream, attachment.mime, attachment.sha256, key_scope)
        attachment.placement, attachment.file_uri = "file_api", uploaded.uri
        attachment.parts = [{"type": "file", "file": {"file_id": uploaded.uri, "format": attachment.mime}}]


def _reject_remote_references(part: dict) -> None:
    if reference_of(part):
        raise HTTPException(422, "privacy_mode=strict cannot use a cloud file_id; send the file itself.")


def _place_responses(attachments: list[Attachment], privacy: str, settings: dict) -> None:
    """The Responses API: strict takes images only; flexible sends every file inline (LiteLLM's bridge
    to chat drops the MIME type a File API reference needs), so the whole must fit one request."""
    for attachment in attachments:
        if privacy == "strict" and attachment.kind != "image":
            raise HTTPException(422, f"privacy_mode=strict: the Responses API takes images only for local models; "
                                f"send {attachment.kind} files to /v1/chat/completions, which prepares them locally.")
    if privacy != "strict" and sum(item.size for item in attachments) * 4 / 3 > \
            float(settings["inline_request_limit_mb"]) * MB:
        raise GatewayError(413, "The Responses API sends files inline and these exceed "
                           "gateway.attachments.inline_request_limit_mb; send large files to /v1/chat/completions, "
                           "which uploads them to the Gemini File API.", param="input")


Found = list[tuple[list, int, Attachment]]  # (content list, position in it, attachment)


def _label(part: dict) -> tuple[str, bool | None]:
    """(file name, `timestamps` option) of an attachment part, for its transcript."""
    files = uploaded_files.get() or []
    index = part.get("file_index")
    name = files[index].filename if isinstance(index, int) and 0 <= index < len(files) else None
    if name is None and isinstance(part.get("file"), dict):
        name = part["file"].get("filename")
    flag = part.get("timestamps")
    return str(name or "")[:200], flag if isinstance(flag, bool) else None


async def collect_attachments(messages: Any) -> Found:
    """Every attachment in `messages` (any role, tool results included), typed from its bytes, with
    where it sits; a part whose file cannot be had is a 400 naming it."""
    found: Found = []
    for index, message in enumerate(messages if isinstance(messages, list) else []):
        content = message.get("content") if isinstance(message, dict) else None
        for position, part in enumerate(content if isinstance(content, list) else []):
            where = f"messages[{index}].content[{position}]"
            attachment = await _from_part(part, where) if isinstance(part, dict) else None
            if attachment and isinstance(content, list):
                attachment.name, attachment.timestamps = _label(part)
                found.append((content, position, attachment))
    return found


async def place_attachments(
    messages: Any, found: Found, privacy: str, key_scope: str, dry_run: bool = False, surface: str = "chat"
) -> list[Attachment]:
    """Rewrite every attachment part of `messages` in place for its destination; returns them all.
    A part that came from a Responses input is written back there too (what the scan read is what
    is forwarded).

    With `dry_run`, only decide where each would go: nothing is uploaded and `messages` is untouched.
    """
    settings = gateway_settings("attachments")
    if privacy == "strict":
        for message in messages if isinstance(messages, list) else []:
            content = message.get("content") if isinstance(message, dict) else None
            for part in content if isinstance(content, list) else []:
                if isinstance(part, dict):
                    _reject_remote_references(part)
    attachments = [attachment for _, _, attachment in found]
    if surface == "responses":
        _place_responses(attachments, privacy, settings)
    if privacy == "strict":
        for attachment in attachments:
            await _place_strict(attachment, settings, dry_run)
    elif surface == "responses":
        for attachment in attachments:
            attachment.placement, attachment.parts = "inline", [] if dry_run else [_inline_part(attachment)]
    else:
        await _place_flexible(attachments, settings, key_scope, dry_run)
    if dry_run:
        return attachments
    for content, position, attachment in reversed(found):
        write_back = getattr(content[position], "write_back", None)
        if write_back is not None:
            write_back(attachment.parts)
        content[position : position + 1] = attachment.parts
    return attachments
