"""Benchmark of the credential, crypto-address and network recognisers (issue 38): recall on the
hand-written held-out set (tests/detection_sets/secrets.py SAMPLES) and on the set they were tuned on
(TUNING), per kind x place; false alarms on real text nobody wrote for this (chunks of the Python
standard library and the installed packages' source, this machine's logs, the packages' README prose);
and find_sensitive's sentences/s on the Faker sentences with the shipped kinds, then with every kind on.
    CONFIG_FILE_PATH=litellm_config.yaml .venv/bin/python scripts/bench_secrets.py [--chunks 2000]
"""

from __future__ import annotations

import argparse
import glob
import gzip
import random
import sys
import sysconfig
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from plugins.policy import detect  # noqa: E402
from plugins.policy.recognisers import configured  # noqa: E402
from plugins.policy.recognisers.network import IP_ADDRESS, MAC_ADDRESS  # noqa: E402
from plugins.policy.recognisers.secrets import SECRETS  # noqa: E402
from plugins.policy.recognisers.wallets import CRYPTO  # noqa: E402
from tests.detection_samples import sentences  # noqa: E402
from tests.detection_sets.secrets import SAMPLES, TUNING  # noqa: E402

RECOGNISERS = {"secret": SECRETS, "crypto_address": CRYPTO, "ip_address": IP_ADDRESS, "mac_address": MAC_ADDRESS}


def recall(name: str, samples: list) -> None:
    cells: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    missed = []
    for sample in samples:
        spans = [sample.text[start:end] for start, end in RECOGNISERS[sample.kind].find(sample.text, None)]
        hit = any(sample.value in span for span in spans)
        kind_found = sample.kind in detect_all([sample.text])
        cells[sample.kind, sample.place][0] += hit and kind_found
        cells[sample.kind, sample.place][1] += 1
        if not (hit and kind_found):
            missed.append(f"{sample.kind}/{sample.place}/{sample.group}: {sample.text[:70]!r} -> {spans}")
    total = sum(found for found, _ in cells.values()), sum(count for _, count in cells.values())
    print(f"\n== recall on {name}: {total[0]}/{total[1]} ({100 * total[0] / total[1]:.0f} %)")
    for kind in RECOGNISERS:
        row = [(place, cell) for (cell_kind, place), cell in sorted(cells.items()) if cell_kind == kind]
        if row:
            print(f"  {kind:<15}" + "  ".join(f"{place} {found}/{count}" for place, (found, count) in row))
    for line in missed:
        print(f"  missed {line}")


def chunks(paths: list[str], lines: int, rnd: random.Random, count: int, per_file: int = 1) -> list[tuple[str, str]]:
    """`count` chunks of `lines` lines drawn from `paths` (fixed seed), at most `per_file` from a file."""
    picked: list[tuple[str, str]] = []
    paths = sorted(paths)
    rnd.shuffle(paths)
    for path in paths:
        if len(picked) >= count:
            break
        try:
            opener = gzip.open if path.endswith(".gz") else open
            with opener(path, "rt", encoding="utf-8", errors="replace") as handle:
                text = handle.read().splitlines()
        except OSError:
            continue
        if len(text) < 3:
            continue
        for _ in range(min(per_file, len(text) // lines + 1, count - len(picked))):
            start = rnd.randrange(max(1, len(text) - lines))
            picked.append((path, "\n".join(text[start:start + lines])))
    return picked


def corpus(count: int) -> dict[str, list[tuple[str, str]]]:
    rnd = random.Random(38)
    stdlib = sysconfig.get_paths()["stdlib"]
    site = sysconfig.get_paths()["purelib"]
    return {
        "stdlib code": chunks([p for p in glob.glob(f"{stdlib}/**/*.py", recursive=True)
                               if "/test" not in p and "site-packages" not in p],
                              30, rnd, count, per_file=3),
        "stdlib tests": chunks(glob.glob(f"{stdlib}/test/**/*.py", recursive=True), 30, rnd, count // 4),
        "package code": chunks(glob.glob(f"{site}/**/*.py", recursive=True), 30, rnd, count),
        "config/data": chunks([p for ext in ("yaml", "yml", "json", "toml", "cfg", "ini")
                               for p in glob.glob(f"{site}/**/*.{ext}", recursive=True)], 30, rnd, count // 2),
        "logs": chunks([p for p in glob.glob("/var/log/**/*", recursive=True) if Path(p).is_file()]
                       + [p for pattern in ("/root/.npm/_logs/*.log", "/usr/share/doc/**/*.log", "/tmp/*.log",
                                            "/root/.cache/**/*.log")
                          for p in glob.glob(pattern, recursive=True)], 20, rnd, count // 2, per_file=40),
        "prose": chunks(glob.glob(f"{site}/*.dist-info/METADATA") + glob.glob("/usr/share/doc/**/*.md", recursive=True)
                        + glob.glob("/usr/share/doc/**/README*", recursive=True), 15, rnd, count // 2),
    }


def alarms(texts: dict[str, list[tuple[str, str]]]) -> None:
    print("\n== false alarms (chunks where a kind fired; every finding there is false unless listed as real)")
    for name, items in texts.items():
        fired: dict[str, list[str]] = defaultdict(list)
        for path, text in items:
            for kind, recogniser in RECOGNISERS.items():
                found = [text[start:end] for start, end in recogniser.find(text, None)]
                if found:
                    fired[kind].append(f"{Path(path).name}: {found[:2]}")
        print(f"  {name} ({len(items)} chunks): " + ", ".join(
            f"{kind} {len(fired[kind])} ({100 * len(fired[kind]) / max(len(items), 1):.1f} %)" for kind in RECOGNISERS))
        for kind in RECOGNISERS:
            for example in fired[kind][:12 if kind in ("secret", "crypto_address") else 4]:
                print(f"    {kind}: {example[:160]}")


def detect_all(texts: list[str]) -> list[str]:
    return [r.kind for r in ALL if any(next(iter(r.find(reading, None)), None) for reading in
                                       detect.readings(texts).read_by(r.reads))]


def speed(samples: list[str], recognisers: tuple, label: str) -> float:
    detect.configured = lambda: recognisers  # type: ignore[assignment]
    detect.find_sensitive([samples[0]])
    started = time.process_time()
    for sentence in samples:
        detect.find_sensitive([sentence])
    rate = len(samples) / (time.process_time() - started)
    print(f"  {label}: {rate:.0f} sentences/s (CPU time, one core)")
    return rate


ALL: tuple = ()


def main() -> None:
    global ALL
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chunks", type=int, default=1000, help="chunks per source (fewer for tests and logs)")
    parser.add_argument("--per-kind", type=int, default=15, help="Faker sentences per kind and locale for speed")
    parser.add_argument("--no-held-out", action="store_true", help="skip SAMPLES (while developing: tune on TUNING)")
    args = parser.parse_args()
    shipped = configured()
    ALL = tuple(shipped) + tuple(r for r in RECOGNISERS.values() if r.kind not in {s.kind for s in shipped})
    if not args.no_held_out:
        recall("SAMPLES (held out)", SAMPLES)
    recall("TUNING", TUNING)
    alarms(corpus(args.chunks))
    text = [sentence for _, _, _, sentence in sentences(args.per_kind)]
    print(f"\n== speed on {len(text)} Faker sentences")
    without = tuple(r for r in shipped if r.kind not in RECOGNISERS)
    base = speed(text, without, "shipped kinds without issue 38's")
    every = speed(text, ALL, "every kind on (secret, crypto_address, ip_address, mac_address added)")
    print(f"  cost of the new kinds: {100 * (base / every - 1):.0f} % more time per sentence")


if __name__ == "__main__":
    main()
