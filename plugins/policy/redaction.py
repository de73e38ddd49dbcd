"""Redact instead of downgrade: sensitive values stay on this machine, the cloud model sees placeholders.

Text: each detected value becomes a typed placeholder (`[IBAN_1]`, `[EMAIL_2]`; the same value gets
the same placeholder) in every field that leaves; the answer gets the values back before the client
sees it. Images: OCR lines holding a value are blacked out and the image re-encoded (metadata gone).
PDFs: rasterised locally with the same blackout, so no text layer leaves. Audio and video
(`attachments/audio_redaction.py`, `video_redaction.py`): spoken values silenced, values on screen
blacked out. When redaction cannot be certain (a value still readable afterwards, pages past the OCR
cap, an unreadable file), the caller falls back to escalation: the original is never sent.

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
from plugins.platform.settings import gateway_settings
from plugins.policy import detect, outgoing, sensitive

PLACEHOLDER = re.compile(r"\[([A-Z]+(?:_[A-Z]+)*)_(\d+)\]")  # [IBAN_1], [NATIONAL_ID_2]
LABELS = {"email": "EMAIL", "iban": "IBAN", "es_dni": "DNI", "es_nie": "NIE", "us_ssn": "SSN", "keyword": "KEYWORD",
          "credit_card": "CARD", "phone": "PHONE", "person": "NAME", "address": "ADDRESS",
          "spoken_number": "NUMBER", "national_id": "NATIONAL_ID", "tax_id": "TAX_ID", "health_id": "HEALTH_ID",
          "bank_account": "ACCOUNT", "passport": "PASSPORT", "driving_licence": "LICENCE",
          "secret": "SECRET", "ip_address": "IP", "mac_address": "MAC", "crypto_address": "CRYPTO"}
MAX_PLACEHOLDER = 24  # characters a placeholder can span (streaming holds back at most this many)


def label(kind: str) -> str:
    return LABELS.get(kind) or re.sub(r"[^A-Z]", "", kind.upper()) or "VALUE"


class RedactionUncertain(Exception):
    """A value could still leave: the caller escalates instead."""


@dataclass
class Vault:
    """placeholder <-> value for one request; numbering skips placeholders the user typed."""

    values: dict[str, str] = field(default_factory=dict)  # value -> placeholder
    originals: dict[str, str] = field(default_factory=dict)  # placeholder -> value
    counts: Counter = field(default_factory=Counter)  # type -> placeholders made
    taken: set[str] = field(default_factory=set)  # placeholder-like strings already in the request
    boxes: list[dict] = field(default_factory=list)  # image/page/frame regions blacked out (explain)
    silenced: list[dict] = field(default_factory=list)  # audio stretches silenced: where, start, end, kinds

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
    return detect.spans(text)


def redact_text(text: str, vault: Vault) -> str:
    out, position = [], 0
    for start, end, kind in _spans(text):
        out += [text[position:start], vault.placeholder(kind, text[start:end].strip())]
        position = end
    return "".join(out) + text[position:]


def _walk(value: Any, vault: Vault, skip: frozenset[int]) -> Any:
    """Redact every string of a JSON value, dictionary keys included (a value can be a schema's property
    name), except the attachment bytes in `skip`."""
    if id(value) in skip:
        return value
    if isinstance(value, str):
        return redact_text(value, vault)
    if isinstance(value, dict):
        items = [(redact_text(str(key), vault), _walk(item, vault, skip)) for key, item in value.items()]
        value.clear()
        value.update(items)
        return value
    if isinstance(value, list):
        for index, item in enumerate(value):
            value[index] = _walk(item, vault, skip)
    return value


def typed_placeholders(data: dict[str, Any], names: list[str], skip: frozenset[int]) -> set[str]:
    """Placeholder-like strings the client itself wrote in the fields `names`: never handed out."""
    fields = {name: data[name] for name in names if name in data and name not in outgoing.NOT_SENT}
    return {match.group(0) for text in outgoing.sent_texts(fields, skip) for match in PLACEHOLDER.finditer(text)}


def redact_fields(data: dict[str, Any], names: list[str], skip: frozenset[int], vault: Vault,
                  deadline: float | None = None) -> None:
    """Every field in `names` (all the request sends), then the whole request read again: a value still
    found in any spelling (split across parts, escaped, encoded) makes redaction uncertain."""
    fields = {name: data[name] for name in names if name in data and name not in outgoing.NOT_SENT}
    vault.taken |= typed_placeholders(data, names, skip)
    for name in fields:
        data[name] = _walk(data[name], vault, skip)
    try:
        left = detect.find_sensitive(outgoing.sent_texts({name: data[name] for name in fields}, skip),
                                     deadline or sensitive.request_deadline())
    except detect.ScanTimeout:
        raise RedactionUncertain("the redacted request could not be read again in time") from None
    if left:
        raise RedactionUncertain("a value is still readable after redaction")


def black_out(image: Any, vault: Vault, where: str) -> Any:
    """The image with every OCR line that holds a value filled black, and every QR code or barcode whose
    payload holds one or could not be decoded; RedactionUncertain if anything is still readable after that
    (read as the scan reads: both OCR passes, both reading orders, the codes)."""
    from PIL import ImageDraw

    from plugins.attachments.codes import read_codes

    image = image.convert("RGB")
    draw = ImageDraw.Draw(image)
    regions = []
    for box, text in reading.ocr_lines(image):
        for start, end, kind in _spans(text):
            vault.placeholder(kind, text[start:end].strip())
        if _spans(text) or sensitive.find_sensitive([text]):
            xs, ys = [point[0] for point in box], [point[1] for point in box]
            regions.append([int(min(xs)) - 2, int(min(ys)) - 2, int(max(xs)) + 2, int(max(ys)) + 2])
    for code in read_codes(image):
        for start, end, kind in _spans(code.text):
            vault.placeholder(kind, code.text[start:end].strip())
        if not code.readable or sensitive.find_sensitive([code.text]):
            regions.append(code.region(8))  # the symbol and part of its quiet zone: nothing left to decode
    for region in regions:
        draw.rectangle(region, fill="black")
        vault.boxes.append({"where": where, "box": region})
    text, unsure = reading.image_text(image)
    if sensitive.find_sensitive([text]) or unsure:
        raise RedactionUncertain(f"{where}: a value is still readable after blackout")
    return image


def redact_image(data: bytes, vault: Vault) -> bytes:
    """A PNG of the image with the values blacked out (no metadata carried over)."""
    from plugins.attachments import media

    image = black_out(media.open_image(data), vault, "image")
    output = io.BytesIO()
    image.save(output, format="PNG")
    return output.getvalue()


def redact_pdf(data: bytes, vault: Vault) -> bytes:
    """An image-only PDF of the pages, rasterised here with the values blacked out."""
    import pypdfium2

    from plugins.attachments import media

    settings = gateway_settings("escalation")
    document = pypdfium2.PdfDocument(data)
    try:
        if len(document) > int(settings["ocr_max_pages"]):
            raise RedactionUncertain("more pages than gateway.escalation.ocr_max_pages")
        pages = [black_out(media.render_page(page, 2.0, int(settings["ocr_max_side"])), vault, f"page {number}")
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
