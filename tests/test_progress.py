"""Long requests are not silent (issue 30.4): a slow `stream: true` request gets SSE comments before its
first event, and Responses `background: true` answers at once and is polled, cancelled and deleted by
the key that created it only, under the same privacy policy as a foreground call.

Slowness is made deterministic: a progress interval of 0.2 s, and emulators told to wait before they
answer. Everything goes through the real proxy, called with the real openai SDK.
"""

from __future__ import annotations

import base64
import concurrent.futures
import json
import time

import httpx
import openai
import pytest

from plugins.surfaces.progress import error_event
from tests.conftest import backend_env
from tests.emulators.server import Fault
from tests.gateway_process import Gateway, deep_merge
from tests.helpers import chat_bodies, gemini_calls
from tests.test_audio import CLEAN, speech

INTERVAL = 0.2
IBAN = "ES91 2100 0418 4502 0005 1332"
PATIENT = {"gateway": {"streaming": {"progress_interval_s": INTERVAL, "progress_after_model_s": INTERVAL},
                        "background": {"check_s": 0.5}}}


@pytest.fixture(scope="module")
def patient(ollama, gemini, tiny_models):
    """A gateway that sends a progress comment every 0.2 s and checks for cancels every 0.5 s."""
    running = Gateway(config_overrides=deep_merge(tiny_models, PATIENT), env=backend_env(ollama, gemini)).start()
    yield running
    running.close()


class Recording(httpx.HTTPTransport):
    """An httpx transport that keeps the raw bytes of every answer, as they came off the wire."""

    def __init__(self) -> None:
        super().__init__()
        self.raw = bytearray()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        inner, raw = response.stream, self.raw

        class Tee(httpx.SyncByteStream):
            def __iter__(self):
                for chunk in inner:  # type: ignore[union-attr]
                    raw.extend(chunk)
                    yield chunk

            def close(self) -> None:
                inner.close()  # type: ignore[union-attr]

        response.stream = Tee()
        return response


def audio_part(text: str = CLEAN) -> dict:
    return {"type": "input_audio", "input_audio": {"data": base64.b64encode(speech(text)).decode(), "format": "wav"}}


def before_first_event(raw: bytes) -> bytes:
    return raw.split(b"\ndata: ", 1)[0] if not raw.startswith(b"data: ") else b""


def wait_until_done(client: openai.OpenAI, response_id: str, timeout_s: float = 120):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        response = client.responses.retrieve(response_id)
        if response.status not in ("queued", "in_progress"):
            return response
        time.sleep(0.2)
    raise AssertionError(f"{response_id} still {response.status} after {timeout_s}s")


# --- streaming: comments until the first event ---------------------------------------------------


def test_a_slow_stream_with_audio_gets_comments_before_its_first_chunk(patient, ollama, gemini):
    """A flexible stream with a recording: scanned here, then Gemini waits 1.5 s before answering. The
    openai SDK reads the stream as usual; on the wire, comments came first."""
    gemini.add_fault(Fault(path_pattern="streamGenerateContent", status=200, delay_s=1.5))
    wire = Recording()
    client = openai.OpenAI(base_url=patient.url("/v1"), api_key=patient.master_key, max_retries=0,
                           http_client=httpx.Client(transport=wire, timeout=120))
    stream = client.chat.completions.create(
        model="auto", stream=True, extra_body={"privacy_mode": "flexible"},
        messages=[{"role": "user", "content": [{"type": "text", "text": "Summarise this"}, audio_part()]}])
    chunks = list(stream)
    assert "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)
    assert {chunk.model for chunk in chunks} == {"chat-flexible"}
    head = before_first_event(bytes(wire.raw))
    assert head.count(b": gateway working, ") >= 3, bytes(wire.raw[:500])
    assert b": x-gateway-privacy: flexible\n" in head and b": x-gateway-attachments: audio/wav:inline" in head
    assert len(gemini_calls(gemini)) == 1 and chat_bodies(ollama) == []


def test_a_slow_responses_stream_gets_comments_and_parses(patient, ollama, gemini):
    gemini.add_fault(Fault(path_pattern="streamGenerateContent", status=200, delay_s=1.2))
    wire = Recording()
    client = openai.OpenAI(base_url=patient.url("/v1"), api_key=patient.master_key, max_retries=0,
                           http_client=httpx.Client(transport=wire, timeout=120))
    events = list(client.responses.create(model="auto", input="hello", stream=True,
                                          extra_body={"privacy_mode": "flexible"}))
    assert events[0].type == "response.created" and events[-1].type == "response.completed"
    assert events[-1].response.output_text == "gemini-2.5-flash says: hello"
    head = before_first_event(bytes(wire.raw))
    assert head.count(b": gateway working, ") >= 3 and b": x-gateway-group: chat-flexible\n" in head, head


def test_a_slow_stream_escalated_by_a_spoken_number_stays_local(patient, ollama, gemini):
    ollama.add_fault(Fault(path_pattern="/api/chat", status=200, delay_s=1))
    with httpx.stream("POST", patient.url("/v1/chat/completions"), headers=patient.auth, timeout=120, json={
        "model": "auto", "stream": True, "privacy_mode": "flexible",
        "messages": [{"role": "user", "content": [{"type": "text", "text": "Summarise"},
                                                  audio_part("My phone number is 612 345 678.")]}]}) as answer:
        raw = answer.read()
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/event-stream")
    head = before_first_event(raw)
    assert b": gateway working, " in head and b": x-gateway-escalated: sensitive-data\n" in head, raw[:800]
    assert raw.rstrip().endswith(b"data: [DONE]")
    assert gemini_calls(gemini) == [] and "612" in chat_bodies(ollama)[-1]["messages"][-1]["content"]


def test_an_error_after_the_early_start_is_an_openai_error_event(patient, ollama, gemini):
    """Gemini refuses after 1.2 s, when the 200 has gone out: the refusal is one SSE error event in
    OpenAI's shape, which the openai SDK raises as APIError."""
    gemini.add_fault(Fault(path_pattern="GenerateContent", status=400, delay_s=1.2))
    wire = Recording()
    client = openai.OpenAI(base_url=patient.url("/v1"), api_key=patient.master_key, max_retries=0,
                           http_client=httpx.Client(transport=wire, timeout=60))
    with pytest.raises(openai.APIError) as refused:
        list(client.chat.completions.create(model="auto", stream=True, messages=[{"role": "user", "content": "hi"}],
                                            extra_body={"privacy_mode": "flexible"}))
    raw = bytes(wire.raw)
    assert raw.startswith(b": gateway working, ") and raw.rstrip().endswith(b"}"), raw
    assert refused.value.body["code"] == "400" and "Injected fault" in refused.value.message  # type: ignore[index]


@pytest.mark.parametrize("responses", [False, True], ids=["chat", "responses"])
def test_the_error_event_is_raised_by_the_openai_sdk(responses):
    """The event the gateway sends for an error after an early start, as the SDK reads it (chat and
    Responses streams)."""
    error = {"error": {"message": "Too many requests", "type": "rate_limit_error", "param": None,
                       "code": "rate_limit_exceeded"}}
    body = b": gateway working, 5 s\n\n" + error_event(429, json.dumps(error).encode(), responses)
    transport = httpx.MockTransport(lambda request: httpx.Response(
        200, headers={"content-type": "text/event-stream"}, content=body))
    client = openai.OpenAI(base_url="http://gateway/v1", api_key="k", max_retries=0,
                           http_client=httpx.Client(transport=transport))
    with pytest.raises(openai.APIError) as refused:
        if responses:
            list(client.responses.create(model="auto", input="hi", stream=True))
        else:
            list(client.chat.completions.create(model="auto", messages=[{"role": "user", "content": "hi"}],
                                                stream=True))
    assert refused.value.message == "Too many requests" and refused.value.body["code"] == "rate_limit_exceeded"  # type: ignore[index]


def test_a_backend_error_after_the_gateways_work_keeps_its_status(start_gateway, ollama, gemini):
    """The gateway's work is over at once (text); Gemini is slow and then says 429: the client gets the 429
    and its Retry-After, not a 200 stream with an error event (the model's silence waits progress_after_model_s)."""
    quick = start_gateway({"gateway": {"streaming": {"progress_interval_s": INTERVAL, "progress_after_model_s": 30}}})
    body = {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "message": "Try again later.", "details": [
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "9s"}]}}
    gemini.add_fault(Fault(path_pattern="[gG]enerateContent", status=429, body=body, delay_s=1, times=10))
    response = httpx.post(quick.url("/v1/chat/completions"), headers=quick.auth, timeout=60, json={
        "model": "auto", "privacy_mode": "flexible", "stream": True, "messages": [{"role": "user", "content": "x"}]})
    assert response.status_code == 429 and response.headers.get("retry-after") == "9", response.text


def test_a_fast_stream_is_untouched(patient, ollama, gemini):
    with httpx.stream("POST", patient.url("/v1/chat/completions"), headers=patient.auth, timeout=60, json={
            "model": "auto", "stream": True, "messages": [{"role": "user", "content": "hi"}]}) as answer:
        raw = answer.read()
    assert raw.startswith(b"data: ") and b": gateway working" not in raw
    assert answer.headers["x-gateway-privacy"] == "strict"


def test_a_multipart_stream_gets_comments_too(patient, ollama, gemini):
    gemini.add_fault(Fault(path_pattern="streamGenerateContent", status=200, delay_s=1))
    fields = {"privacy_mode": "flexible", "stream": "true", "messages": (
        '[{"role": "user", "content": [{"type": "text", "text": "Summarise"}, {"type": "audio", "file_index": 0}]}]')}
    with httpx.stream("POST", patient.url("/v1/chat/completions"), headers=patient.auth, timeout=120, data=fields,
                      files={"files": ("memo.wav", speech(CLEAN), "audio/wav")}) as answer:
        raw = answer.read()
    assert b": gateway working, " in before_first_event(raw) and raw.rstrip().endswith(b"data: [DONE]"), raw[:500]


# --- background: create, poll, cancel, delete -----------------------------------------------------


def test_background_answers_at_once_and_is_polled_to_completion(patient, ollama, gemini):
    """A flexible recording, in the background: the create call answers while Gemini is still waiting,
    the poll ends with Gemini's answer and the headers of where it went."""
    gemini.add_fault(Fault(path_pattern="GenerateContent", status=200, delay_s=2))
    client = patient.client()
    started = time.monotonic()
    created = client.responses.create(model="auto", background=True, extra_body={"privacy_mode": "flexible"},
                                      input=[{"role": "user", "content": [
                                          {"type": "input_text", "text": "Summarise this"}, audio_part()]}])
    assert time.monotonic() - started < 1.5 and created.status == "queued" and created.background
    done = wait_until_done(client, created.id)
    assert done.status == "completed", done.error
    assert done.id == created.id and done.model == "chat-flexible" and done.output_text
    polled = httpx.get(patient.url(f"/v1/responses/{created.id}"), headers=patient.auth, timeout=30)
    assert polled.headers["x-gateway-privacy"] == "flexible" and polled.headers["x-gateway-group"] == "chat-flexible"
    assert len(gemini_calls(gemini)) == 1 and chat_bodies(ollama) == []


def test_strict_background_never_reaches_gemini(patient, ollama, gemini):
    client = patient.client()
    created = client.responses.create(model="auto", input="Summarise: hello", background=True,
                                      extra_body={"privacy_mode": "strict"})
    done = wait_until_done(client, created.id)
    assert done.status == "completed" and done.model == "chat-strict" and "hello" in done.output_text
    assert gemini.requests == [] and len(chat_bodies(ollama)) == 1


def test_sensitive_flexible_background_is_handled_as_the_policy_says(patient, ollama, gemini):
    """Escalated to the local model by default; `sensitive_data: block` ends the job failed with the 403."""
    client = patient.client()
    escalated = wait_until_done(client, client.responses.create(
        model="auto", input=f"Pay {IBAN} today", background=True, extra_body={"privacy_mode": "flexible"}).id)
    assert escalated.status == "completed" and escalated.model == "chat-strict"
    polled = httpx.get(patient.url(f"/v1/responses/{escalated.id}"), headers=patient.auth, timeout=30)
    assert polled.headers["x-gateway-escalated"] == "sensitive-data"
    blocked = wait_until_done(client, client.responses.create(
        model="auto", input=f"Pay {IBAN} today", background=True,
        extra_body={"privacy_mode": "flexible", "sensitive_data": "block"}).id)
    assert blocked.status == "failed" and blocked.error is not None
    assert blocked.model_dump()["error"]["status"] == 403
    assert gemini.requests == [] and len(chat_bodies(ollama)) == 1


def test_cancel_stops_a_running_job_and_delete_forgets_it(patient, ollama, gemini):
    ollama.add_fault(Fault(path_pattern="/api/chat", status=200, delay_s=3))
    client = patient.client()
    created = client.responses.create(model="auto", input="slow one", background=True)
    time.sleep(0.5)
    assert client.responses.retrieve(created.id).status == "in_progress"
    assert client.responses.cancel(created.id).status == "cancelled"
    time.sleep(3.5)  # past the backend's answer: the cancel stands
    assert client.responses.retrieve(created.id).status == "cancelled"
    client.responses.delete(created.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(created.id)


def test_background_requests_it_cannot_serve_are_400(patient, ollama, gemini):
    for extra in ({"stream": True}, {"store": False}):
        response = httpx.post(patient.url("/v1/responses"), headers=patient.auth, timeout=30,
                              json={"model": "auto", "input": "hi", "background": True, **extra})
        assert response.status_code == 400 and response.json()["error"]["param"] == next(iter(extra))
    assert chat_bodies(ollama) == [] and gemini.requests == []


def test_background_false_is_the_default_and_is_served(patient, ollama, gemini):
    """`background: false` is OpenAI's default: accepted on flexible too (it is not sent to Gemini)."""
    reply = patient.client().responses.create(model="auto", input="hello", background=False,
                                              extra_body={"privacy_mode": "flexible"})
    assert reply.status == "completed" and reply.model == "chat-flexible"
    assert "background" not in str(gemini_calls(gemini)[0].body)


# --- background on two replicas, one Redis, per-key ownership (PostgreSQL for the keys) -----------


BACKGROUND_REDIS = "redis://127.0.0.1:6379/8"  # a DB of its own, flushed here


@pytest.fixture(scope="module")
def replicas(ollama, gemini, tiny_models):
    """Two patient gateways on one database and one Redis, as behind a load balancer."""
    from tests.test_admin import db_missing, engine_env, fresh_database
    from tests.test_scaling import redis_or_skip

    if db_missing() is not None:
        pytest.skip(str(db_missing()))
    shared = redis_or_skip(BACKGROUND_REDIS)
    shared.flushdb()
    with fresh_database("gateway_background") as database:
        env = {**backend_env(ollama, gemini), **engine_env(), "DATABASE_URL": database, "REDIS_URL": BACKGROUND_REDIS}
        gateways = [Gateway(config_overrides=deep_merge(tiny_models, PATIENT), env=env) for _ in range(2)]
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            started = [pool.submit(gateway.start, 240) for gateway in gateways]
            try:
                for future in started:
                    future.result()
                yield gateways[0], gateways[1], shared
            finally:
                for gateway in gateways:
                    gateway.close()
    shared.flushdb()


def key_client(gateway: Gateway, key: dict) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway.url("/v1"), api_key=key["key"], max_retries=0)


def test_a_background_response_belongs_to_its_key_on_every_replica(replicas, ollama, gemini):
    """Created through replica a, polled through b; another key is told 404 on both, for reading,
    cancelling and deleting alike; strict stays local; Redis holds no key."""
    from tests.test_tenants import new_key

    a, b, shared = replicas
    owner, other = new_key(a), new_key(a)
    ollama.add_fault(Fault(path_pattern="/api/chat", status=200, delay_s=2))
    created = key_client(a, owner).responses.create(model="auto", input="Summarise: hello", background=True)
    assert key_client(b, owner).responses.retrieve(created.id).status in ("queued", "in_progress")
    for gateway in (a, b):
        theirs = key_client(gateway, other)
        for call in (theirs.responses.retrieve, theirs.responses.cancel, theirs.responses.delete):
            with pytest.raises(openai.NotFoundError):
                call(created.id)
    done = wait_until_done(key_client(b, owner), created.id)
    assert done.status == "completed", done.error
    assert done.model == "chat-strict" and "hello" in done.output_text
    assert gemini.requests == [] and len(chat_bodies(ollama)) == 1
    stored = b"".join(shared.get(name) or b"" for name in shared.keys("gateway:background*"))
    assert stored and not any(secret in stored.decode() for key in (owner, other) for secret in (key["key"],
                                                                                                    key["token"]))


def test_a_cancel_on_one_replica_stops_the_job_on_the_other(replicas, ollama, gemini):
    """The job runs on a; the cancel lands on b; a stops it within `check_s` (its heartbeat is gone
    long before the backend would have answered) and the answer never replaces the cancel."""
    from tests.test_tenants import new_key

    a, b, shared = replicas
    owner = new_key(a)
    ollama.add_fault(Fault(path_pattern="/api/chat", status=200, delay_s=5))
    created = key_client(a, owner).responses.create(model="auto", input="slow", background=True)
    time.sleep(0.5)
    cancelled_at = time.monotonic()
    assert key_client(b, owner).responses.cancel(created.id).status == "cancelled"
    while shared.exists(f"gateway:background:{created.id}:alive") and time.monotonic() - cancelled_at < 4:
        time.sleep(0.1)
    assert time.monotonic() - cancelled_at < 3, "the job on replica a did not stop"
    time.sleep(max(0.0, 5.5 - (time.monotonic() - cancelled_at)))
    assert key_client(a, owner).responses.retrieve(created.id).status == "cancelled"
    key_client(a, owner).responses.delete(created.id)
    with pytest.raises(openai.NotFoundError):
        key_client(b, owner).responses.retrieve(created.id)


def test_a_job_whose_replica_stopped_is_reported_lost(replicas, ollama, gemini):
    """Runs last in its module: replica b stops while its job waits on the backend; a poll through a
    says `failed` / `job_lost` once b's heartbeat has expired, instead of `in_progress` forever."""
    from tests.test_tenants import new_key

    a, b, shared = replicas
    owner = new_key(a)
    ollama.add_fault(Fault(path_pattern="/api/chat", status=200, delay_s=60))
    created = key_client(b, owner).responses.create(model="auto", input="never answered", background=True)
    time.sleep(0.5)
    b.stop()
    lost = wait_until_done(key_client(a, owner), created.id, timeout_s=30)
    assert lost.status == "failed" and lost.error is not None and lost.error.code == "job_lost"
