"""Texts hidden in encodings: base64 (standard, URL-safe, glued into a URL path) and hex, of UTF-8 or of
any common 8-bit encoding (Latin-1, Windows-1252), gzip/zlib/deflate-compressed or not, decoded again
inside what they decode to.

Every byte decoded or decompressed is spent from one budget (`MAX_DECODED_BYTES`); a run left unread
when it is spent raises `ScanTimeout` (unscanned, never clean). Decompression is incremental, a bounded
chunk at a time, so a bomb costs the budget, not memory; a stream whose first chunk is not text is
dropped there. Each decoder has a cheap test first: compressed streams by their magic bytes (gzip
`1f 8b`, zlib `78 xx`), raw deflate only for short runs that are not text already.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import zlib

import regex

from plugins.policy.deadline import ScanTimeout

MAX_ROUNDS = 4  # escapes, base64 and hex undone this many times over (an encoding applied twice is undone)
MAX_DECODED_BYTES = 1_000_000
BASE64_RUN = regex.compile(r"[A-Za-z0-9+/_-]{12,}={0,2}")
HEX_RUN = regex.compile(r"(?:[0-9A-Fa-f]{2}[\s:]?){8,}")
# A URL's path: a payload glued after its last readable segment (`https://x.example/api/RVM5MSAy...`).
URL_PATH = regex.compile(r"(?i)\b[a-z][a-z0-9+.\-]{1,15}://[^\s/?#]+(/[A-Za-z0-9+/_\-=%.]+)")
CHUNK = 64 * 1024  # bytes inflated at a time
RAW_DEFLATE_MAX = 64 * 1024  # raw deflate has no magic: only runs this short are tried
# Text in an 8-bit encoding: mostly ASCII, the rest letters and the punctuation such text holds.
# What base64 of compressed bytes looks like (a digit or +/ among mixed case), unlike a long word: only
# such runs are tried as raw deflate.
RANDOM_LOOKING = regex.compile(r"^(?=.*[0-9+/_-])(?=.*[a-z])(?=.*[A-Z]).{16,}")
EIGHT_BIT_EXTRA = regex.compile(r"[\p{L}\u00a0«»‘’‚“”„–—…€£¥§°ºª¿¡·•]")


ASCII_TEXT = bytes(range(32, 127)) + b"\t\r\n"


class Budget:
    """Bytes left to decode for one request."""

    def __init__(self) -> None:
        self.left = MAX_DECODED_BYTES

    def spend(self, count: int) -> None:
        self.left -= count
        if self.left < 0:
            raise ScanTimeout("more encoded text than the decode budget (treated as unscanned)")


def _mostly_printable(text: str) -> bool:
    return bool(text) and sum(char.isprintable() or char.isspace() for char in text) >= 0.95 * len(text)


def printable(raw: bytes, final: bool = True) -> str | None:
    """`raw` as text: UTF-8, or an 8-bit encoding whose non-ASCII characters are letters and the usual
    punctuation (random bytes, images and archives are neither). `final=False`: `raw` is the start of a
    stream (a character cut at its end is not an error)."""
    try:
        decoded = raw.decode("utf-8") if final else codecs.getincrementaldecoder("utf-8")().decode(raw, False)
    except UnicodeDecodeError:
        decoded = ""
    if decoded:
        return decoded if _mostly_printable(decoded) else None
    if len(raw) < 4 or len(raw.translate(None, ASCII_TEXT)) > 0.2 * len(raw):
        return None
    decoded = raw.decode("cp1252", errors="replace")
    extra = [char for char in decoded if not (" " <= char <= "~" or char in "\t\r\n")]
    if all(EIGHT_BIT_EXTRA.match(char) for char in extra):
        return decoded
    return None


def _inflate(raw: bytes, wbits: int, budget: Budget, speculative: bool) -> bytes | None:
    """`raw` decompressed a chunk at a time, each chunk paid for from the budget (a bomb spends it and
    fails closed); None when it is not a stream of this kind. `speculative` (raw deflate, which has no
    magic to tell it by): given up when the first chunk is not text."""
    inflater = zlib.decompressobj(wbits)
    out: list[bytes] = []
    data = raw
    try:
        while data and not inflater.eof:
            chunk = inflater.decompress(data, CHUNK)
            budget.spend(len(chunk))
            if speculative and not out and printable(chunk[:4096], final=False) is None:
                return None
            out.append(chunk)
            data = inflater.unconsumed_tail
    except zlib.error:
        pass
    return b"".join(out) or None


def decompressed(raw: bytes, budget: Budget, may_be_deflate: bool = True) -> bytes | None:
    """What a gzip, zlib or raw-deflate stream in `raw` holds, or None when it is none of those."""
    if raw[:2] == b"\x1f\x8b":
        return _inflate(raw, 31, budget, speculative=False)
    if len(raw) > 2 and raw[0] & 0x0F == 8 and raw[0] >> 4 <= 7 and (raw[0] << 8 | raw[1]) % 31 == 0:
        return _inflate(raw, 15, budget, speculative=False)
    if may_be_deflate and len(raw) <= RAW_DEFLATE_MAX:
        return _inflate(raw, -15, budget, speculative=True)
    return None


def _base64_candidates(text: str) -> list[str]:
    runs = BASE64_RUN.findall(text)
    for url in URL_PATH.finditer(text) if "://" in text else ():  # each segment, and what follows the first slashes
        path = url.group(1).split("?")[0]
        slashes = [index for index, char in enumerate(path) if char == "/"][:4]
        runs += [segment for segment in path.split("/") if len(segment) >= 12]
        runs += [path[index + 1:] for index in slashes[1:]]
    return runs


def _read_bytes(raw: bytes, budget: Budget, may_be_deflate: bool = False) -> str | None:
    plain = printable(raw)
    if plain is None and raw:
        inflated = decompressed(raw, budget, may_be_deflate)
        plain = printable(inflated) if inflated else None
    return plain


def decoded(text: str, budget: Budget | None = None, depth: int = 0) -> list[str]:
    """Texts hidden as base64 or hex in `text`, and in those (text only: file bytes decode to nothing
    useful). ScanTimeout when the budget runs out before every run is decoded."""
    budget = budget or Budget()
    found: list[str] = []
    if depth >= MAX_ROUNDS:
        return found
    for match in HEX_RUN.finditer(text):
        budget.spend(len(match.group(0)) // 2)
        plain = _read_bytes(bytes.fromhex(regex.sub(r"[\s:]", "", match.group(0))[:len(match.group(0)) // 2 * 2]),
                            budget)
        if plain:
            found += [plain, *decoded(plain, budget, depth + 1)]
    seen: set[str] = set()
    for run in _base64_candidates(text):
        run = run.rstrip("/")
        if run in seen or len(run) < 12:
            continue
        seen.add(run)
        both = any(char in run for char in "+/-_")  # the two alphabets differ only there
        for decode in (base64.b64decode, base64.urlsafe_b64decode) if both else (base64.b64decode,):
            try:
                raw = decode(run + "=" * (-len(run) % 4))
            except (binascii.Error, ValueError):
                continue
            budget.spend(len(raw))
            plain = _read_bytes(raw, budget, RANDOM_LOOKING.search(run) is not None)
            if plain:
                found += [plain, *decoded(plain, budget, depth + 1)]
                break
    return found
