"""Fuzzing the gateway's own routes: schemathesis from the OpenAPI schema, hypothesis for the
multipart parser. Required outcome: a 4xx with a message, never a 5xx, and a healthy gateway.

The default suite runs them derandomized (a fixed set of examples: CI never passes by luck); the
`-m slow` variants explore with many random examples. Every failure found becomes a regression test
in tests/test_hostile_input.py."""

from __future__ import annotations

import json

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import media

OWN_ROUTES = (r"^/(health|v1/route/explain|v1/embeddings/(text|image|audio|models)"
              r"|v1/audio/(transcriptions|translations))$")
CASES = {"schemathesis": 0, "multipart": 0}


def test_openapi_schema_fuzz_never_5xx(gateway, ollama, gemini):
    schema = schemathesis.openapi.from_url(gateway.url("/openapi.json"), timeout=120).include(path_regex=OWN_ROUTES)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 5, [operation.path for operation in operations]
    for operation in operations:
        fuzz_operation(gateway, operation)
    assert httpx.get(gateway.url("/health")).status_code == 200
    print(f"schemathesis cases: {CASES['schemathesis']}")


def fuzz_operation(gateway, operation, examples: int = 30, derandomize: bool = True) -> None:
    """Run generated cases of one API operation against the gateway; no case may get a 5xx."""

    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None,
              derandomize=derandomize)
    @given(case=operation.as_strategy())
    def check(case):
        CASES["schemathesis"] += 1
        response = case.call(base_url=gateway.base_url, headers=gateway.auth, timeout=60)
        assert response.status_code < 500, (operation.path, response.status_code, response.text[:300])

    check()


PART = st.one_of(
    st.fixed_dictionaries({"type": st.just("text"), "text": st.text(max_size=50)}),
    st.fixed_dictionaries({"type": st.sampled_from(["image", "audio", "video", "file", "bogus"]),
                           "file_index": st.one_of(st.integers(-2, 4), st.text(max_size=3), st.none())}),
    st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=3),
)
MESSAGES = st.one_of(
    st.just('[{"role":"user","content":"hi"}]'),
    st.lists(st.fixed_dictionaries({"role": st.sampled_from(["user", "system", "x"]),
                                    "content": st.one_of(st.text(max_size=30), st.lists(PART, max_size=3))}),
             max_size=3).map(json.dumps),
    st.text(max_size=60),
)
FILES = st.lists(st.tuples(st.sampled_from(["png", "empty", "junk", "pdf", "wav", "huge-name"]),
                           st.sampled_from(["image/png", "text/plain", ""])), max_size=3)


def _file(kind: str, declared: str) -> tuple:
    data = {"png": media.png(), "empty": b"", "junk": b"\x00\x01garbage", "pdf": media.pdf(1), "wav": media.wav(0.2),
            "huge-name": media.png()}[kind]
    name = "ñ" * 300 + ".png" if kind == "huge-name" else f"f.{kind}"
    return ("files", (name, data, declared))


MULTIPART_CASE = dict(
    messages=MESSAGES, files=FILES, task=st.sampled_from(["chat", "vision", "ocr", "", "ÿ" * 5]),
    privacy=st.sampled_from(["strict", "flexible", "STRICT", "public"]),
    extra=st.dictionaries(st.sampled_from(["stream", "temperature", "max_tokens", "model", "unknown"]),
                          st.text(max_size=10), max_size=2),
    truncate=st.integers(0, 3),
)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None, derandomize=True)
@given(**MULTIPART_CASE)
def test_multipart_parser_fuzz_never_5xx(gateway, ollama, gemini, messages, files, task, privacy, extra, truncate):
    send_multipart_case(gateway, messages, files, task, privacy, extra, truncate)


@pytest.mark.slow
@settings(max_examples=1000, deadline=None, suppress_health_check=list(HealthCheck), database=None,
          derandomize=False)
@given(**MULTIPART_CASE)
def test_multipart_parser_fuzz_explores(gateway, ollama, gemini, messages, files, task, privacy, extra, truncate):
    send_multipart_case(gateway, messages, files, task, privacy, extra, truncate)


@pytest.mark.slow
def test_openapi_schema_fuzz_explores(gateway, ollama, gemini):
    schema = schemathesis.openapi.from_url(gateway.url("/openapi.json"), timeout=120).include(path_regex=OWN_ROUTES)
    for operation in [result.ok() for result in schema.get_all_operations()]:
        fuzz_operation(gateway, operation, examples=300, derandomize=False)


def send_multipart_case(gateway, messages, files, task, privacy, extra, truncate) -> None:
    CASES["multipart"] += 1
    request = httpx.Request("POST", gateway.url("/v1/chat/completions"), headers=gateway.auth,
                            data={"messages": messages, "task": task, "privacy_mode": privacy, **extra},
                            files=[_file(*file) for file in files] or None)
    body = request.read()
    if truncate == 1:
        body = body[: len(body) // 2]
    response = httpx.post(gateway.url("/v1/chat/completions"), content=body, timeout=60,
                          headers={**gateway.auth, "content-type": request.headers["content-type"]})
    assert response.status_code < 500, response.text[:300]
    if response.status_code >= 400:
        assert response.json()["error"]["message"]


def test_gateway_is_healthy_after_fuzzing(gateway):
    assert httpx.get(gateway.url("/health")).json()["status"] == "ok"
    print(f"fuzz cases run: {CASES}")
