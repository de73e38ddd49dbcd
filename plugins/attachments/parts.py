"""Which content parts carry a file, and where its bytes are: every shape is recognised or refused.

A part that carries a file gives its bytes (a data: URL, raw base64, an http(s) URL the gateway
fetches itself) or a reference to a file already at Gemini (a File API URI). Anything else that
could carry a file (an unknown URL scheme, a file_id that is neither, two sources in one part) is a
400 naming the field: a file the gateway has not read never leaves with the request.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

from plugins.platform.errors import GatewayError

# A Gemini File API file: already at Google, so a reference to it sends no new bytes.
FILE_URI = re.compile(r"(?:https://generativelanguage\.googleapis\.com/v1(?:beta|alpha)?/)?files/[a-z0-9-]{1,64}")
SEED_PART_TYPES = ("image", "audio", "video", "file")


@dataclass(frozen=True)
class Source:
    """Where a part's file is: `data` (decoded bytes), `url` (http(s), to fetch) or `reference` (a File API URI)."""

    kind: str
    data: bytes = b""
    url: str = ""


def decode_base64(value: str, where: str) -> bytes:
    """Base64 (line breaks allowed) as bytes, or a 400 naming `where`."""
    try:
        return base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        raise GatewayError(400, f"{where} is not valid base64 data.", param=where) from None


def data_url_bytes(value: str, where: str) -> bytes:
    """The bytes of a data: URL (base64 or percent-encoded); the scheme is case-insensitive."""
    header, comma, payload = value.partition(",")
    if not comma:
        raise GatewayError(400, f"{where} is a data: URL without a ',' before its data.", param=where)
    if header.lower().endswith(";base64"):
        return decode_base64(payload, where)
    return unquote_to_bytes(payload)


def classify_url(value: object, where: str) -> Source:
    """A URL-valued field as a Source: data: URLs decoded, File API URIs kept, http(s) to fetch."""
    if not isinstance(value, str) or not value.strip():
        raise GatewayError(400, f"{where} must be a non-empty URL string.", param=where)
    url = value.strip()
    scheme = url.partition(":")[0].lower()
    if scheme == "data":
        return Source("data", data=data_url_bytes(url, where))
    if FILE_URI.fullmatch(url):
        return Source("reference", url=url)
    if scheme in ("http", "https"):
        return Source("url", url=scheme + url[len(scheme):])
    raise GatewayError(400, f"{where}: unsupported URL {url[:40]!r}; send a data: URL, an http(s) URL or a "
                       "multipart upload.", param=where)


def _file_source(part: dict, where: str) -> Source:
    file = part.get("file")
    if not isinstance(file, dict):
        raise GatewayError(400, f"{where}.file must be an object with file_data or file_id.", param=f"{where}.file")
    given = [name for name in ("file_data", "file_id") if file.get(name)]
    if len(given) != 1:
        raise GatewayError(400, f"{where}.file needs exactly one of file_data or file_id; got "
                           f"{', '.join(given) or 'neither'}.", param=f"{where}.file")
    if given[0] == "file_data":
        value = file["file_data"]
        if not isinstance(value, str):
            raise GatewayError(400, f"{where}.file.file_data must be a string.", param=f"{where}.file.file_data")
        if value.strip().partition(":")[0].lower() == "data":
            return Source("data", data=data_url_bytes(value.strip(), f"{where}.file.file_data"))
        return Source("data", data=decode_base64(value, f"{where}.file.file_data"))
    return classify_url(file["file_id"], f"{where}.file.file_id")


def part_source(part: dict, where: str) -> Source | None:
    """Where the file of a chat content part is, or None for a part that carries no file (text)."""
    kind = part.get("type")
    if kind == "image_url":
        value = part.get("image_url")
        return classify_url(value.get("url") if isinstance(value, dict) else value, f"{where}.image_url")
    if kind == "input_audio":
        audio = part.get("input_audio")
        data = audio.get("data") if isinstance(audio, dict) else None
        if not isinstance(data, str) or not data:
            raise GatewayError(400, f"{where}.input_audio.data must be base64 audio.", param=f"{where}.input_audio")
        if data.strip().partition(":")[0].lower() == "data":
            return Source("data", data=data_url_bytes(data.strip(), f"{where}.input_audio.data"))
        return Source("data", data=decode_base64(data, f"{where}.input_audio.data"))
    if kind == "file":
        return _file_source(part, where)
    if kind in SEED_PART_TYPES:
        raise GatewayError(400, f"{where}: a content part of type {kind!r} needs a file_index (multipart).",
                           param=where)
    return None


def reference_of(part: dict) -> str | None:
    """The File API URI a part names (a file already at Gemini), without decoding anything."""
    kind = part.get("type")
    value = part.get("image_url") if kind == "image_url" else part.get("file") if kind == "file" else None
    url = value.get("url") if kind == "image_url" and isinstance(value, dict) else value
    if kind == "file":
        url = value.get("file_id") if isinstance(value, dict) else None
    if isinstance(url, str) and FILE_URI.fullmatch(url.strip()):
        return url.strip()
    return None
