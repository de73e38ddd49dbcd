"""RapidOCR on this machine, within a memory bound, keeping what it could not read.

How it is run differs from RapidOCR's defaults on three counts, each measured (docs/PERFORMANCE.md):

- Detection reads a large image in horizontal strips of about `DET_STRIP_PIXELS`, cut between lines of
  text, one at a time: its memory grows with the pixels it reads at once (264 MB for a 1248x1600 page in
  one piece, 55 MB in strips). RapidOCR also enlarges an image for detection until its short side is
  736 px, whatever its long side (a 1600x210 banner became 5606x736, 4 MP); here a small image is
  enlarged, detection and recognition alike, until its short side is 736 px or its long side
  `escalation.ocr_max_side`, whichever comes first.
- Lines are recognised one at a time: RapidOCR batches 6, padded to the widest, 165 MB on a page of
  print; one at a time, 36 MB, and no slower.
- No angle classifier in the first pass: it turned long lines of small print upside down, which then read
  as nothing (an empty line, or "e" for a whole sentence). The second pass (reading.py: equalised, the
  image turned 180 degrees) keeps it (`turn_lines`): there it turns upright text back, and reads text
  printed upside down within a page.

Each line keeps its characters' confidences and `unread_ink`: the longest stretch of ink along the line
that no character was read from, in line heights. Glyphs the model has no characters for (Arabic-Indic
digits, other scripts) come back as nothing, as spaces, or as letters read unsurely; reading.py decides
what of that counts as unread.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import regex

from plugins.attachments import media
from plugins.platform.settings import gateway_settings

DET_SHORT_SIDE = 736  # RapidOCR's own enlargement for detection: a small image's short side grows to this
DET_STRIP_PIXELS = 600_000  # larger images are detected in strips of about this size: ~130 MB per million pixels
STRIP_CONTEXT = 32  # rows of the neighbouring strips each strip is read with
INK_GAP = 0.8  # glyphs this far apart (in line heights) are one stretch of ink: the digits of a number
INK_MARGIN = 0.5  # a read character accounts for the ink this far either side of its centre (line heights)


@dataclass(frozen=True)
class Line:
    """One line OCR found: its corners in the image's own pixels, its text, RapidOCR's score for it, each
    character's confidence, and the longest stretch of ink no character was read from (line heights)."""

    box: list[list[float]]
    text: str
    score: float
    confidences: tuple[float, ...]
    unread_ink: float


@functools.lru_cache(maxsize=1)
def engine() -> Any:
    from rapidocr_onnxruntime import RapidOCR

    media.release_freed_memory_promptly()
    ocr = RapidOCR()
    ocr.text_det.limit_type = "max"  # detection never enlarges: reading_scale chooses the size
    ocr.text_rec.rec_batch_num = 1
    return ocr


# Where OCR drops the space between words ("Signed:MariaLopez,CalleMayor128"): lower-case letters then a
# capital, lower-case letters or punctuation then a digit, punctuation then a letter. Names and streets need words.
JOINED_WORDS = regex.compile(r"(?<=\p{Ll}{2})(?=\p{Lu}\p{Ll})|(?<=\p{Ll}{2}|[,;:])(?=\d)|(?<=[,;:])(?=\p{L})")


def spaced(text: str) -> str:
    """A line's text as read, and again with the spaces OCR dropped between words put back, when it dropped
    any (read by the scan and by redaction; the text as read keeps "IBANES91…" whole for the patterns)."""
    with_spaces = JOINED_WORDS.sub(" ", text)
    return text if with_spaces == text else f"{text}\n{with_spaces}"


def reading_scale(width: int, height: int) -> float:
    """The scale an image is read at: at most `escalation.ocr_max_side` on its longest side; a smaller one
    enlarged until its short side is `DET_SHORT_SIDE` or its long side `ocr_max_side` (small print)."""
    long, short = max(width, height, 1), max(min(width, height), 1)
    fit = int(gateway_settings("escalation")["ocr_max_side"]) / long
    return max(min(1.0, fit), min(DET_SHORT_SIDE / short, fit))


def read_lines(image: Any, turn_lines: bool = False) -> list[Line]:
    """Every line OCR finds in a PIL image (boxes in the image's own pixels), whatever its score; with
    `turn_lines`, each line the angle classifier finds upside down is turned before it is read."""
    import numpy as np
    from PIL import Image

    scale = reading_scale(image.width, image.height)
    sized = image.convert("RGB")
    if abs(scale - 1) > 1e-3:
        sized = sized.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))),
                             Image.Resampling.BICUBIC if scale > 1 else Image.Resampling.BILINEAR)
    pixels, gray = np.asarray(sized), np.asarray(sized.convert("L"))
    if sized.width * sized.height <= DET_STRIP_PIXELS and not turn_lines:
        result, _ = engine()(pixels, text_score=0.0, use_cls=False, return_word_box=True)
        turned = [False] * len(result or [])
    else:
        result, turned = _read_in_strips(pixels, gray, turn_lines)
    lines = []
    for row, flipped in zip(result or [], turned, strict=True):
        box, text, score = row[0], str(row[1]), float(row[2])
        char_boxes, confidences = (row[3], row[5]) if len(row) > 5 else ([], [])
        lines.append(Line([[x / scale, y / scale] for x, y in box], text, score,
                          tuple(float(value) for value in confidences[: len(text)]),
                          unread_ink(gray, box, char_boxes, text, flipped)))
    return lines


def strips(gray: Any) -> list[tuple[int, int, int, int]]:
    """(top, bottom, own top, own bottom) rows of the strips detection reads a large image in: each at most
    about `DET_STRIP_PIXELS`, cut at the quietest row (least change along it) in the lower half of the strip,
    between two lines of text rather than through one, and read with `STRIP_CONTEXT` rows of the next ones
    either side; a line belongs to the strip its middle lies in."""
    import numpy as np

    height, width = gray.shape
    rows = max(4 * STRIP_CONTEXT, DET_STRIP_PIXELS // max(width, 1) - 2 * STRIP_CONTEXT)
    change = np.abs(np.diff(gray.astype(np.int16), axis=1)).sum(axis=1)
    cuts = [0]
    while height - cuts[-1] > rows:
        low, high = cuts[-1] + rows // 2, cuts[-1] + rows
        cuts.append(low + int(np.argmin(change[low:high])))
    cuts.append(height)
    read = []
    for top, bottom in zip(cuts, cuts[1:], strict=False):
        start, end = max(0, top - STRIP_CONTEXT), min(height, bottom + STRIP_CONTEXT)
        end = min(height, end + (-(end - start)) % 32)  # a multiple of 32 rows: detection reads it unscaled
        read.append((max(0, end - ((end - start + 31) // 32) * 32), end, top, bottom))
    return read


def _read_in_strips(pixels: Any, gray: Any, turn_lines: bool) -> tuple[list[list[Any]], list[bool]]:
    """RapidOCR's own steps (detection, crops, the angle classifier if `turn_lines`, recognition with each
    character's place and confidence) with detection run strip by strip: rows as RapidOCR returns them,
    [box, text, score, char boxes, chars, confidences], and whether each line's crop was turned."""
    import numpy as np

    ocr = engine()
    height, width = gray.shape
    boxes = []
    for top, bottom, own_top, own_bottom in strips(gray):
        found, _ = ocr.text_det(np.ascontiguousarray(pixels[top:bottom]))
        for box in [] if found is None else found:
            box = np.asarray(box, dtype=np.float32) + np.array([0, top], dtype=np.float32)
            if own_top <= float(box[:, 1].mean()) < own_bottom:
                boxes.append(np.clip(box, 0, [width, height]).astype(np.float32))
    if not boxes:
        return [], []
    boxes = ocr.sorted_boxes(np.asarray(boxes))
    crops = ocr.get_crop_img_list(pixels, boxes)
    turned = [False] * len(crops)
    if turn_lines:
        crops, labels, _ = ocr.text_cls(crops)
        turned = ["180" in label and score > ocr.text_cls.cls_thresh for label, score in labels]
    recognised, _ = ocr.text_rec(crops, True)
    rows = [[box.tolist(), *row] for box, row in zip(boxes, ocr.cal_rec_boxes(crops, boxes, recognised), strict=True)]
    return rows, turned


def unread_ink(gray: Any, box: Any, char_boxes: Any, text: str, flipped: bool = False) -> float:
    """The longest stretch of ink along a line (in line heights) further than `INK_MARGIN` from every
    character read in it but a space: glyphs the recogniser had no characters for. Stretches closer than
    `INK_GAP` are one (the digits of a number). `flipped`: the line was read turned 180 degrees, so its
    characters' places run the other way along it."""
    import cv2
    import numpy as np

    corners = np.asarray(box, dtype=np.float32)
    width = int(round(max(np.linalg.norm(corners[0] - corners[1]), np.linalg.norm(corners[3] - corners[2]))))
    height = int(round(max(np.linalg.norm(corners[0] - corners[3]), np.linalg.norm(corners[1] - corners[2]))))
    if width < 2 or height < 2:
        return 0.0
    upright = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    to_line = cv2.getPerspectiveTransform(corners, upright)
    crop = cv2.warpPerspective(gray, to_line, (width, height), borderMode=cv2.BORDER_REPLICATE)
    if int(crop.max()) - int(crop.min()) < 40:  # flat: nothing drawn
        return 0.0
    vertical = height >= 1.5 * width  # RapidOCR reads such a line top to bottom
    along, across = (height, width) if vertical else (width, height)
    threshold, _ = cv2.threshold(crop, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    ink = crop < threshold
    if ink.mean() > 0.5:  # light print on a dark ground
        ink = ~ink
    inked = ink.sum(axis=1 if vertical else 0) >= max(1.0, 0.06 * across)
    read = np.zeros(along, dtype=bool)
    centres = [((corner[0][0] + corner[2][0]) / 2, (corner[0][1] + corner[2][1]) / 2)
               for corner, char in zip(char_boxes, text, strict=False) if not char.isspace()]
    if centres:
        for x, y in cv2.perspectiveTransform(np.asarray([centres], dtype=np.float32), to_line)[0]:
            centre = y if vertical else x
            centre = along - centre if flipped else centre
            read[max(0, int(centre - INK_MARGIN * across)):max(0, int(centre + INK_MARGIN * across) + 1)] = True
    longest, start, last = 0, 0, -(10 ** 9)
    for column in np.flatnonzero(inked & ~read).tolist():
        if column - last > INK_GAP * across:
            start = column
        last = column
        longest = max(longest, column - start + 1)
    return longest / across


# What counts as unread. Measured on 107 clean images (documents, UI screenshots, photos, icons, diagrams,
# terminal screenshots) and 64 lines of Arabic-Indic and Persian digits (scripts/bench_ocr.py).
TEXT_LIKE = 3.0  # a line at least this many times longer than tall (~5 characters): icons and symbols are not
MIN_HEIGHT = 8  # px: shorter lines are not judged
UNSURE_CHAR, DOUBTFUL_CHAR, DOUBTFUL_SHARE = 0.5, 0.85, 0.3  # clean print reads at 0.95-1.0 a character
UNREAD_INK = 2.0  # line heights of ink no character was read from (a few glyphs)

Bounds = tuple[float, float, float, float]


def _bounds(box: list[list[float]]) -> Bounds:
    xs, ys = [x for x, _ in box], [y for _, y in box]
    return min(xs), min(ys), max(xs), max(ys)


def _text_like(bounds: Bounds, box: list[list[float]] | None = None) -> bool:
    if box is not None:  # a line: its own sides, however it is turned
        import math

        across = max(math.dist(box[0], box[3]), math.dist(box[1], box[2]))
        along = max(math.dist(box[0], box[1]), math.dist(box[3], box[2]))
        short, long = min(across, along), max(across, along)
    else:
        short, long = bounds[3] - bounds[1], bounds[2] - bounds[0]
    return short >= MIN_HEIGHT and long >= TEXT_LIKE * short


def _rows(lines: list[Line]) -> list[tuple[Bounds, list[Line]]]:
    """Neighbouring lines on one row (about the same height and middle, under 1.5 heights apart), joined:
    RapidOCR splits a line where it meets glyphs it cannot read ("+34 1", "下", "QF", "VA")."""
    rows: list[tuple[list[float], list[Line]]] = []
    for line in sorted(lines, key=lambda line: _bounds(line.box)[0]):
        left, top, right, bottom = _bounds(line.box)
        height = bottom - top
        for bounds, members in rows:
            row_height = bounds[3] - bounds[1]
            if abs(top + bottom - bounds[1] - bounds[3]) / 2 < 0.3 * max(height, row_height) \
                    and 0.6 < height / max(row_height, 1e-6) < 1.6 \
                    and -0.2 * height < left - bounds[2] < 1.5 * max(height, row_height):
                bounds[:] = [bounds[0], min(bounds[1], top), max(bounds[2], right), max(bounds[3], bottom)]
                members.append(line)
                break
        else:
            rows.append(([left, top, right, bottom], [line]))
    return [((bounds[0], bounds[1], bounds[2], bounds[3]), members) for bounds, members in rows]


def _unread_row(bounds: Bounds, lines: list[Line], minimum: float) -> bool:
    """A text-like line read as nothing, scored under `minimum`, or with glyphs no character was read from;
    or a text-like row whose letters and digits were read unsurely (three under 0.5, or three and 30 % under
    0.85: what the recogniser makes of glyphs it has no characters for)."""
    if any(_text_like(_bounds(line.box), line.box)
           and (not line.text.strip() or line.score < minimum or line.unread_ink >= UNREAD_INK) for line in lines):
        return True
    if not _text_like(bounds):
        return False
    letters = [confidence for line in lines for char, confidence in zip(line.text, line.confidences, strict=False)
               if char.isalnum()]
    doubtful = sum(confidence < DOUBTFUL_CHAR for confidence in letters)
    return sum(confidence < UNSURE_CHAR for confidence in letters) >= 3 \
        or (doubtful >= 3 and doubtful >= DOUBTFUL_SHARE * len(letters))


def unread(first: list[Line], second: list[Line], minimum: float) -> bool:
    """Whether the image holds text OCR could not read: an unread row of the first pass that the second pass
    (equalised, upside down; boxes in the same pixels) did not read well where it lies."""
    read_well = [bounds for bounds, lines in _rows(second)
                 if "".join(line.text for line in lines).strip() and not _unread_row(bounds, lines, minimum)]
    for bounds, lines in _rows(first):
        if _unread_row(bounds, lines, minimum):
            x, y = (bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2
            if not any(left <= x <= right and top <= y <= bottom for left, top, right, bottom in read_well):
                return True
    return False
