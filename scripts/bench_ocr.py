"""Benchmark: the image scan's OCR before issue 40 and now, side by side (issue 40 items 3 and 4).

1. Unread text: images handled as unscanned (strict). Clean images (pages of print, mail-client
   screenshots light and dark, photo-like JPEGs with a sign; tests/media.py, plus every image under each
   --images folder) should not be; images of an IBAN, a phone, a card or an ID number written in
   Arabic-Indic or Persian digits (which RapidOCR has no characters for) should. Before: RapidOCR's
   defaults (angle classifier, detection enlarged to a 736 px short side, lines recognised 6 at a time)
   and any line scored under `ocr_min_confidence` counting as unread. Now: plugins/attachments/ocr.py.
   Both read each image twice (as is; equalised and upside down), as reading.image_text does; codes aside.
2. Memory: a 2-page flexible PDF (a text page, a page showing a photo), made into page images and
   scanned as the gateway does (sanitise.pdf, then each page image read), in a fresh process per mode:
   peak RSS added (VmHWM) and RSS left after. Before: the old OCR, glibc's default heap; now: as the
   gateway runs it (media.release_freed_memory_promptly at start).

    .venv/bin/python scripts/bench_ocr.py [--images DIR ...] [--skip-memory]
"""

from __future__ import annotations

import argparse
import functools
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp"}


@functools.lru_cache(maxsize=1)
def _old_engine():
    from rapidocr_onnxruntime import RapidOCR

    return RapidOCR()


def _old_read(image):
    """reading._ocr_read before issue 40: RapidOCR's defaults on the image at most `ocr_max_side` large."""
    import numpy as np

    from plugins.platform.settings import gateway_settings

    max_side = int(gateway_settings("escalation")["ocr_max_side"])
    scale = min(1.0, max_side / max(image.size))
    small = image.convert("RGB")
    if scale < 1:
        small = small.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))))
    result, _ = _old_engine()(np.array(small), text_score=0.0)
    return [(line[1], float(line[2])) for line in result or []]


def old_unread(image) -> bool:
    from PIL import ImageOps

    from plugins.platform.settings import gateway_settings

    minimum = float(gateway_settings("escalation")["ocr_min_confidence"])
    first = _old_read(image)
    _old_read(ImageOps.equalize(image.convert("L")).rotate(180))  # read, not judged (as before)
    return any(score < minimum for _, score in first)


def new_unread(image) -> bool:
    from plugins.attachments import ocr, reading
    from plugins.platform.settings import gateway_settings

    first, second = reading._ocr_passes(image)
    return ocr.unread(first, second, float(gateway_settings("escalation")["ocr_min_confidence"]))


def clean_images(folders: list[str]) -> dict[str, bytes]:
    from tests import media

    images = {}
    for seed, (size, font) in enumerate([(12, ""), (14, "DejaVuSerif.ttf"), (16, "DejaVuSans.ttf"), (20, ""),
                                         (14, ""), (18, "DejaVuSansMono.ttf")]):
        try:
            images[f"page {size} px {font or 'Aileron'}"] = media.document_page(seed, size, font, jpeg=seed % 2 == 1)
        except OSError:  # that font is not installed
            continue
    for seed in range(4):
        images[f"screenshot {'dark' if seed % 2 else 'light'} {seed}"] = media.ui_screenshot(seed, dark=seed % 2 == 1)
    for seed, sign in enumerate(["CAFE CENTRAL", "OPEN 9 - 17", "Platform 4", "SALE 50%"]):
        images[f"photo '{sign}'"] = media.photo_with_text(seed, sign)
    for folder in folders:
        for path in sorted(Path(folder).rglob("*")):
            if path.suffix.lower() in IMAGE_SUFFIXES:
                images[str(path)] = path.read_bytes()
    return images


def unreadable_images() -> dict[str, bytes]:
    from tests import media

    values = [("IBAN ES", "91 2100 0418 4502 0005 1332"), ("Teléfono: ", "612 345 678"), ("", "612345678"),
              ("Card ", "4111 1111 1111 1111"), ("Account no. ", "2100 0418 4502 0005 1332"),
              ("Tel. +34 ", "612 34 56 78"), ("DNI ", "12345678Z"), ("", "2100 0418 4502 0005 1332")]
    images = {}
    for index, (label, digits) in enumerate(values):
        for script_name, script in (("Arabic-Indic", media.ARABIC_INDIC), ("Persian", media.PERSIAN)):
            for font in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"):
                size = (24, 32, 40, 56)[(index + len(font)) % 4]
                try:
                    images[f"{label}{digits} {script_name} {font} {size}"] = media.digits_in_script(
                        label, digits, script, size, font)
                except OSError:
                    continue
    return images


def unread_table(folders: list[str]) -> None:
    from PIL import Image

    from plugins.attachments import sanitise

    for kind, images in (("clean", clean_images(folders)), ("unreadable digits", unreadable_images())):
        counts, seconds, flagged = {"before": 0, "now": 0}, {"before": 0.0, "now": 0.0}, []
        for name, data in images.items():
            try:
                image = Image.open(io.BytesIO(sanitise.image(data)))
            except Exception as error:  # noqa: BLE001 - a file the gateway would refuse is not counted
                print(f"skipped {name}: {error}", file=sys.stderr)
                continue
            for mode, judge in (("before", old_unread), ("now", new_unread)):
                started = time.perf_counter()
                unsure = judge(image)
                seconds[mode] += time.perf_counter() - started
                counts[mode] += unsure
                if mode == "now" and unsure == (kind == "clean"):
                    flagged.append(name)
        total = len(images)
        print(f"| {kind} ({total}) | {counts['before']} ({counts['before'] / total:.0%}) | "
              f"{counts['now']} ({counts['now'] / total:.0%}) | {seconds['before'] / total:.2f} s | "
              f"{seconds['now'] / total:.2f} s |", flush=True)
        print(f"  now, {'unscanned' if kind == 'clean' else 'missed'}: {flagged}", flush=True)


def _status(key: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key):
            return int(line.split()[1]) / 1024
    return 0.0


def pdf_memory(mode: str) -> dict:
    """Peak RSS the scan of a 2-page flexible PDF adds, in this fresh process."""
    from PIL import Image

    from plugins.attachments import media as attachments_media
    from plugins.attachments import reading, sanitise
    from tests import media

    if mode == "now":
        attachments_media.release_freed_memory_promptly()
    data = media.pdf_document([("text", "Minutes of the garden committee."),
                               ("image", media.photo_with_text(1, "OPEN 9 - 17"))])
    warm = sanitise.pdf(media.pdf_document([("text", "Warm up.")]))
    read_page = reading._read_image if mode == "now" else \
        (lambda page: ("", "unreadable-text" if old_unread(Image.open(io.BytesIO(page))) else ""))
    for page in warm.pages:  # the OCR engine loaded, as in a gateway that has scanned before
        read_page(page)
    attachments_media.release_memory()
    baseline = _status("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")
    started = time.perf_counter()
    document = sanitise.pdf(data)
    assert document is not None
    for page in document.pages:
        read_page(page)
    if mode == "now":
        attachments_media.release_memory()  # as reading.attachment_text does
    return {"mode": mode, "peak_added_mb": round(_status("VmHWM") - baseline),
            "after_added_mb": round(_status("VmRSS") - baseline), "seconds": round(time.perf_counter() - started, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", nargs="*", default=[], help="folders of more clean images")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--skip-unread", action="store_true")
    parser.add_argument("--memory", help=argparse.SUPPRESS)  # one mode, in a child process
    args = parser.parse_args()
    if args.memory:
        print(json.dumps(pdf_memory(args.memory)))
        return
    if not args.skip_unread:
        print("| images | unscanned before | unscanned now | OCR time before (per image) | now |")
        print("|---|---|---|---|---|")
        unread_table(args.images)
    if not args.skip_memory:
        env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True",
               "CONFIG_FILE_PATH": os.environ.get("CONFIG_FILE_PATH", str(ROOT / "litellm_config.yaml"))}
        print("\n| 2-page flexible PDF (text page + photo page) | peak RSS added | RSS added after | time |")
        print("|---|---|---|---|")
        for mode in ("before", "now", "before", "now"):
            done = subprocess.run([sys.executable, __file__, "--memory", mode], env=env, capture_output=True,
                                  text=True, cwd=ROOT, check=True)
            row = json.loads(done.stdout.strip().splitlines()[-1])
            print(f"| {row['mode']} | {row['peak_added_mb']} MB | {row['after_added_mb']} MB | {row['seconds']} s |",
                  flush=True)


if __name__ == "__main__":
    main()
