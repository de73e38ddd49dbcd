"""Redact instead of downgrade: sensitive values stay on this machine, the cloud model sees placeholders.

Text: each detected value becomes a typed placeholder (`[IBAN_1]`, `[EMAIL_2]`; the same value gets
the same placeholder) in every field that leaves; the answer gets the values back before the client
sees it. Images: OCR lines holding a value are blacked out and the image re-encoded (metadata gone).
PDFs: rasterised locally with the same blackout, so no text layer leaves. When redaction cannot be
certain (a value still readable afterwards, pages past the OCR cap, an unreadable file), the caller
falls back to escalation: the original is never sent.

The vault (placeholder -> value) lives in this process's memory only, keyed by a random id carried on
the request, and is dropped when the request ends. It is never logged.
"""

from __future__ import annotations

import io
import re
import secrets
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from plugins.attachments import reading
from plugins.policy import sensitive

PLACEHOLDER = re.compile(r"\[([A-Z]+)_(\d+)\]")
LABELS = {"email": "EMAIL", "iban": "IBAN", "eu_iban_enhanced": "IBAN", "iban_grouped": "IBAN", "es_dni": "DNI",
          "es_nie": "NIE", "us_ssn": "SSN", "keyword": "KEYWORD"}
MAX_PLACEHOLDER = 24  # characters a placeholder can span (streaming holds back at most this many)


def label(kind: str) -> str:
    if kind in LABELS:
        return LABELS[kind]
    if "phone" in kind:
        return "PHONE"
    if kind in sensitive.CARD_PATTERNS:
        return "CARD"
    return re.sub(r"[^A-Z]", "", kind.upper()) or "VALUE"


class RedactionUncertain(Exception):
    """A value could still leave: the caller escalates instead."""


@dataclass
class Vault:
    """placeholder <-> value for one request; numbering skips placeholders the user typed."""

    values: dict[str, str] = field(default_factory=dict)  # value -> placeholder
    originals: dict[str, str] = field(default_factory=dict)  # placeholder -> value
    counts: Counter = field(default_factory=Counter)  # type -> placeholders made
    taken: set[str] = field(default_factory=set)  # placeholder-like strings already in the request
    boxes: list[dict] = field(default_factory=list)  # image/page regions blacked out (explain)

    def placeholder(self, kind: str, value: str) -> str:
        if value in self.values:
            return self.values[value]
        kind = label(kind)
        number = sum(1 for name in self.originals if name.startswith(f"[{kind}_")) + 1
        while f"[{kind}_{number}]" in self.taken:
            number += 1
        name = f"[{kind}_{number}]"
        self.values[value], self.originals[name] = name, value
        self.counts[kind.lower()] += 1
        return name

    def restore(self, text: str) -> str:
        return PLACEHOLDER.sub(lambda match: self.originals.get(match.group(0), match.group(0)), text)

    def summary(self) -> str:
        """`iban:1,email:2`: types and counts, never values."""
        return ",".join(f"{kind}:{count}" for kind, count in sorted(self.counts.items()))


def _spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, kind) of every checksum-valid match, overlaps resolved to the longest."""
    found = []
    for kind, pattern in sensitive._patterns():
        check = sensitive.CHECKSUMS.get(kind)
        found += [(m.start(), m.end(), kind) for m in pattern.finditer(text) if check is None or check(m.group(0))]
    found.sort(key=lambda span: (span[0], -(span[1] - span[0])))
    kept: list[tuple[int, int, str]] = []
    for span in found:
        if not kept or span[0] >= kept[-1][1]:
            kept.append(span)
    return kept


def redact_text(text: str, vault: Vault) -> str:
    out, position = [], 0
    for start, end, kind in _spans(text):
        out += [text[position:start], vault.placeholder(kind, text[start:end].strip())]
        position = end
    redacted = "".join(out) + text[position:]
    if sensitive.find_sensitive([redacted]):  # e.g. a value disguised with zero-width characters
        raise RedactionUncertain("a value is still readable after redaction")
    return redacted


def _walk(value: Any, vault: Vault) -> Any:
    """Redact every string of a JSON value in place, except file bytes and data URIs."""
    if isinstance(value, str):
        return value if value.startswith("data:") else redact_text(value, vault)
    if isinstance(value, dict):
        for key, item in value.items():
            if key not in sensitive.BINARY_KEYS and key not in ("type", "role", "url", "file_id"):
                value[key] = _walk(item, vault)
        return value
    if isinstance(value, list):
        for index, item in enumerate(value):
            value[index] = _walk(item, vault)
    return value


def redact_fields(data: dict[str, Any], vault: Vault) -> None:
    """Every field of the request that carries text to the model (messages, input, tools, schemas...)."""
    vault.taken |= {match.group(0) for text in sensitive._strings(
        {name: data.get(name) for name in ("messages", "input", *sensitive.TEXT_FIELDS)})
        for match in PLACEHOLDER.finditer(text)}
    for name in ("messages", "input", *sensitive.TEXT_FIELDS):
        if data.get(name) is not None:
            data[name] = _walk(data[name], vault)


def _black_out(image: Any, vault: Vault, where: str) -> Any:
    """The image with every OCR line that holds a value filled black; RedactionUncertain if any remains."""
    from PIL import ImageDraw

    image = image.convert("RGB")
    draw = ImageDraw.Draw(image)
    for box, text in reading.ocr_lines(image):
        for start, end, kind in _spans(text):
            vault.placeholder(kind, text[start:end].strip())
        if _spans(text) or sensitive.find_sensitive([text]):
            xs, ys = [point[0] for point in box], [point[1] for point in box]
            region = [int(min(xs)) - 2, int(min(ys)) - 2, int(max(xs)) + 2, int(max(ys)) + 2]
            draw.rectangle(region, fill="black")
            vault.boxes.append({"where": where, "box": region})
    if sensitive.find_sensitive([" ".join(text for _, text in reading.ocr_lines(image))]):
        raise RedactionUncertain(f"{where}: a value is still readable after blackout")
    return image


def redact_image(data: bytes, vault: Vault) -> bytes:
    """A PNG of the image with the values blacked out (no metadata carried over)."""
    from plugins.attachments import media

    image = _black_out(media.open_image(data), vault, "image")
    output = io.BytesIO()
    image.save(output, format="PNG")
    return output.getvalue()


def redact_pdf(data: bytes, vault: Vault) -> bytes:
    """An image-only PDF of the pages, rasterised here with the values blacked out."""
    import pypdfium2

    from plugins.attachments import media
    from plugins.platform.settings import gateway_settings

    settings = gateway_settings("escalation")
    document = pypdfium2.PdfDocument(data)
    try:
        if len(document) > int(settings["ocr_max_pages"]):
            raise RedactionUncertain("more pages than gateway.escalation.ocr_max_pages")
        pages = [_black_out(media.render_page(page, 2.0, int(settings["ocr_max_side"])), vault, f"page {number}")
                 for number, page in enumerate(document, start=1)]
    finally:
        document.close()
    output = io.BytesIO()
    pages[0].save(output, format="PDF", save_all=True, append_images=pages[1:])
    return output.getvalue()


_vaults: dict[str, Vault] = {}


def keep(vault: Vault) -> str:
    """Hold the vault for the request's answer; returns the id the request carries."""
    vault_id = secrets.token_hex(16)
    _vaults[vault_id] = vault
    return vault_id


def vault_of(route: dict[str, Any] | None) -> Vault | None:
    return _vaults.get((route or {}).get("vault", ""))


def forget(route: dict[str, Any] | None) -> None:
    _vaults.pop((route or {}).get("vault", ""), None)


class StreamRestorer:
    """Restores placeholders in streamed text, holding back only what could be a placeholder's start."""

    def __init__(self, vault: Vault) -> None:
        self.vault, self.held = vault, ""

    def feed(self, text: str) -> str:
        text = self.held + text
        cut = text.rfind("[")
        if cut != -1 and "]" not in text[cut:] and len(text) - cut < MAX_PLACEHOLDER:
            text, self.held = text[:cut], text[cut:]
        else:
            self.held = ""
        return self.vault.restore(text)

    def flush(self) -> str:
        text, self.held = self.held, ""
        return self.vault.restore(text)
