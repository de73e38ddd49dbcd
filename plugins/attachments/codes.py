"""QR codes and barcodes in an image, decoded on this machine (zxing-cpp): their payloads are text the
sensitive-data scan reads, and their places are what redaction blacks out.

A payment QR code (EPC/GiroCode) carries an IBAN as plainly as printed text does. Codes are looked for in
the image as it is (zxing-cpp also tries inverted and rotated symbols, and smaller scales) and in a
contrast-stretched copy (a code printed faint). A symbol found but not decoded is reported too
(`readable` False): what cannot be read cannot be shown clean.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Code:
    """One symbol: its payload ("" when it could not be decoded) and its corners in image pixels."""

    text: str
    box: tuple[tuple[int, int], ...]
    readable: bool

    def region(self, margin: int) -> list[int]:
        xs, ys = [x for x, _ in self.box], [y for _, y in self.box]
        return [min(xs) - margin, min(ys) - margin, max(xs) + margin, max(ys) + margin]


def _corners(position: Any) -> tuple[tuple[int, int], ...]:
    points = (position.top_left, position.top_right, position.bottom_right, position.bottom_left)
    return tuple((int(point.x), int(point.y)) for point in points)


def read_codes(image: Any) -> list[Code]:
    """Every QR code and barcode in a PIL image, decoded or not, each once (a symbol decoded in one view
    and not in the other counts as decoded)."""
    import zxingcpp
    from PIL import ImageOps

    gray = image.convert("L")
    symbols = [Code(symbol.text if symbol.valid else "", _corners(symbol.position), bool(symbol.valid))
               for view in (gray, ImageOps.equalize(gray))
               for symbol in zxingcpp.read_barcodes(view, return_errors=True)]
    kept: list[Code] = []
    for code in sorted(symbols, key=lambda code: not code.readable):  # decoded ones first
        if not any(_overlaps(code, other) and (other.text == code.text or not code.readable) for other in kept):
            kept.append(code)
    return kept


def _overlaps(first: Code, second: Code) -> bool:
    a, b = first.region(0), second.region(0)
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def codes_text(codes: list[Code]) -> str:
    """The payloads, one per line, as text for the scan."""
    return "\n".join(code.text for code in codes if code.text)
