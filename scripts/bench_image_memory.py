"""Benchmark: memory added by decoding three 7000x7000 PNGs (about 150 KB each) at once, as the flexible
path did before issue 24 (a full-size decode and an RGB copy of it for OCR, in every request at once) and
as it does now (decoded in the bounded local-work pool only, shrunk by `reduce` before any copy is made).

Each mode runs in its own subprocess; peak and residual RSS growth are printed side by side.
    .venv/bin/python scripts/bench_image_memory.py
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def big_png(seed: int) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (7000, 7000), "white")
    ImageDraw.Draw(image).text((100 + seed, 100), f"page {seed}", fill="black")
    output = io.BytesIO()
    image.save(output, format="PNG")
    return output.getvalue()


def before(data: bytes) -> None:
    """The old flexible path: open_image, then convert('RGB') and resize for OCR, unbounded."""
    from PIL import Image

    image = Image.open(io.BytesIO(data))
    image.load()
    small = image.convert("RGB")
    small.resize((1600, 1600))


def after(data: bytes) -> None:
    from plugins.attachments import sanitise

    sanitise.image(data)


def measure(mode: str) -> dict:
    from plugins.platform.settings import gateway_settings

    gateway_settings("attachments")  # the gateway has LiteLLM (which settings import) loaded already
    pngs = [big_png(seed) for seed in range(3)]
    work = before if mode == "before" else after
    workers = 3 if mode == "before" else 2  # before: every request at once; after: gateway.local_work.workers
    baseline, peak, running = rss_mb(), [0.0], [True]

    def sample() -> None:
        while running[0]:
            peak[0] = max(peak[0], rss_mb())
            time.sleep(0.01)

    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.monotonic()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(work, pngs))
    seconds = time.monotonic() - started
    running[0] = False
    sampler.join()
    return {"mode": mode, "png_kb": round(sum(map(len, pngs)) / 3 / 1024), "peak_added_mb": round(peak[0] - baseline),
            "after_added_mb": round(rss_mb() - baseline), "seconds": round(seconds, 2)}


def main() -> None:
    if len(sys.argv) > 1:
        print(json.dumps(measure(sys.argv[1])))
        return
    rows = [json.loads(subprocess.run([sys.executable, __file__, mode], capture_output=True, text=True, check=True,
                                      env={"LITELLM_LOCAL_MODEL_COST_MAP": "True", "PATH": "/usr/bin:/bin"})
                       .stdout.strip().splitlines()[-1]) for mode in ("before", "after")]
    for row in rows:
        print(f"{row['mode']:>6}: 3 x 7000x7000 PNG ({row['png_kb']} KB each): peak +{row['peak_added_mb']} MB, "
              f"after +{row['after_added_mb']} MB, {row['seconds']} s")
    print(f"peak ratio after/before: {rows[1]['peak_added_mb'] / max(rows[0]['peak_added_mb'], 1):.2f}")


if __name__ == "__main__":
    main()
