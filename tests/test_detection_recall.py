"""Recall and false alarms of the person and address recognisers on values nobody here wrote:
Faker names and street addresses (fixed seed) in sentences of six locales, and clean business
paragraphs with dates, order numbers, amounts, cities and companies (tests/detection_samples.py).
The full measurement, side by side with Presidio, is scripts/bench_detection.py."""

from __future__ import annotations

import time

import pytest

from plugins.policy.deadline import ScanTimeout
from plugins.policy.recognisers.addresses import ADDRESS
from plugins.policy.recognisers.names import PERSON
from tests.detection_samples import LOCALES, clean_paragraphs, sentences

RECOGNISERS = {"person": PERSON, "address": ADDRESS}


def found(kind: str, text: str) -> list[str]:
    return [text[start:end] for start, end in RECOGNISERS[kind].find(text, None)]


@pytest.mark.parametrize("kind", ["person", "address"])
@pytest.mark.parametrize("locale", LOCALES)
def test_recall_at_least_90_percent_per_locale(kind: str, locale: str) -> None:
    samples = [sample for sample in sentences(25, seed=7, kinds=(kind,)) if sample[1] == locale]
    missed = [value for _, _, value, sentence in samples if not found(kind, sentence)]
    assert len(missed) <= 0.1 * len(samples), missed


@pytest.mark.parametrize("kind", ["person", "address"])
def test_found_span_covers_the_value(kind: str) -> None:
    """Redaction replaces the span: it must hold the name or the street and number, not a stray word."""
    for _, _, value, sentence in sentences(5, seed=11, kinds=(kind,)):
        for span in found(kind, sentence):
            assert span in value or value in span or span.split(",")[0] in value, (span, value)


@pytest.mark.parametrize("kind", ["person", "address"])
def test_false_alarms_at_most_1_percent_on_clean_paragraphs(kind: str) -> None:
    paragraphs = clean_paragraphs(50, seed=5)
    alarms = [(text, found(kind, text)) for _, text in paragraphs if found(kind, text)]
    assert len(alarms) <= 0.01 * len(paragraphs), alarms


@pytest.mark.parametrize("text", [
    "The conference moves from Paris to Madrid in May.",  # cities and a month
    "Martin Dupont SARL and Schmidt GmbH signed the deal.",  # companies named after people
    "We opened a new office in East Jasmine last week.",  # a town named after a given name
    "Meet me at Plaza Mayor, then walk down Oxford Street.",  # streets with no number
    "Spring 2025 sales: 300 units of the Galaxy Tab S9 at 499 € each.",
    "Summarise the plot of Don Quixote and of Romeo and Juliet.",
])
def test_no_person_or_address_in_ordinary_business_text(text: str) -> None:
    assert found("person", text) == [] and found("address", text) == []


@pytest.mark.parametrize(("text", "kind", "value"), [
    ("Escribe a la Sra. Carpio mañana.", "person", "Sra. Carpio"),
    ("Bitte an Herrn Dr. Müller.", "person", "Dr. Müller"),
    ("ship to 1600 Pennsylvania Avenue NW", "address", "1600 Pennsylvania Avenue"),
    ("Via Roma 12, 00184 Roma", "address", "Via Roma 12"),
    ("wohnt in der Hauptstraße 5a", "address", "Hauptstraße 5a"),
    ("au 12 bis rue de la Paix", "address", "12 bis rue de la Paix"),
])
def test_written_by_hand(text: str, kind: str, value: str) -> None:
    assert value in found(kind, text)


@pytest.mark.parametrize("kind", ["person", "address"])
def test_a_long_capitalised_text_respects_the_deadline(kind: str) -> None:
    """A megabyte of capitalised words is read within the scan deadline or handed back as unscanned."""
    text = "Xqzt Calle Mary " * 65536
    with pytest.raises(ScanTimeout):
        list(RECOGNISERS[kind].find(text, time.monotonic() + 0.01))
