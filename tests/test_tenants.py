"""Tenants on real PostgreSQL and Redis, two replicas behind one load balancer (docs/ADMIN.md,
docs/SCALING.md): a key's cache, info, budget, limits and policy pins hold on every route it can
call, whichever replica serves it.

Skips, saying why, without LiteLLM's DB engines, PostgreSQL or Redis (as tests/test_admin.py and
tests/test_scaling.py do).
"""

from __future__ import annotations

import concurrent.futures
import copy
import hashlib
import json
import time
import uuid
from datetime import datetime, timezone

import httpx
import pytest
import yaml

from tests import media
from tests.conftest import backend_env
from tests.gateway_process import ROOT, Gateway, deep_merge
from tests.helpers import chat_bodies
from tests.test_admin import db_missing, engine_env, fresh_database, spend_rows
from tests.test_scaling import answer, redis_or_skip, wait_for

pytestmark = pytest.mark.skipif(db_missing() is not None, reason=str(db_missing()))

SHARED_REDIS = "redis://127.0.0.1:6379/7"  # a DB of its own (test_scaling uses 5), flushed here
STRICT = ["chat-strict", "vision-strict", "ocr-strict"]
EMBEDDING = ["bge-m3", "siglip", "clap"]
COST = 0.001  # per token on the strict and bge-m3 groups, per second on whisper-local
EMAIL = "Escribe a ana.garcia@example.org mañana"


def priced_model_list() -> list[dict]:
    model_list = copy.deepcopy(yaml.safe_load((ROOT / "litellm_config.yaml").read_text())["model_list"])
    for deployment in model_list:
        info = deployment.setdefault("model_info", {})
        if deployment["model_name"] in [*STRICT, "bge-m3"]:
            info.update(input_cost_per_token=COST, output_cost_per_token=COST)
        if deployment["model_name"] == "whisper-local":
            info.update(input_cost_per_second=COST, output_cost_per_second=0)
        if deployment["model_name"] == "chat-strict":  # a shared deployment limit: its counts are everyone's
            deployment["litellm_params"].update(rpm=100000, tpm=10**9)
    return model_list


@pytest.fixture(scope="module")
def database():
    with fresh_database("gateway_tenants") as url:
        yield url


@pytest.fixture(scope="module")
def replicas(ollama, gemini, tiny_models, database):
    """Two gateways on one database and one Redis, as behind a load balancer."""
    shared = redis_or_skip(SHARED_REDIS)
    shared.flushdb()
    config = deep_merge(tiny_models, {"model_list": priced_model_list(),
                                      "general_settings": {"proxy_batch_write_at": 1}})
    env = {**backend_env(ollama, gemini), **engine_env(), "DATABASE_URL": database, "REDIS_URL": SHARED_REDIS}
    gateways = [Gateway(config_overrides=config, env=env) for _ in range(2)]
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        started = [pool.submit(gateway.start, 240) for gateway in gateways]
        try:
            for future in started:
                future.result()
        except Exception:
            for gateway in gateways:
                gateway.close()
            raise
    yield gateways[0], gateways[1], shared
    for gateway in gateways:
        gateway.close()
    shared.flushdb()


def new_key(gateway: Gateway, **body) -> dict:
    response = httpx.post(gateway.url("/key/generate"), headers=gateway.auth, json=body, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def bearer(key: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {key['key']}"}


def chat(gateway: Gateway, key: dict, content: str, **fields) -> httpx.Response:
    body = {"model": "auto", "task": "chat", "privacy_mode": "strict",
            "messages": [{"role": "user", "content": content}], **fields}
    return httpx.post(gateway.url("/v1/chat/completions"), json=body, headers=bearer(key), timeout=60)


def start_of_minute() -> None:
    """LiteLLM counts rpm per calendar minute: start a burst well inside one."""
    second = datetime.now(timezone.utc).second
    if second >= 50:
        time.sleep(60.5 - second)


def tenant_key(gateway: Gateway, **body) -> dict:
    return new_key(gateway, models=["auto", *STRICT, *EMBEDDING, "whisper-local"], **body)


# --- 1. response cache ---------------------------------------------------------------------------


def test_a_client_namespace_never_reads_another_keys_cache(replicas, ollama):
    """Key A fills the cache (through replica a); key B sending the same request with A's namespace,
    or with the namespace LiteLLM would have used, or with a preset cache key, is answered by the model."""
    a, b, shared = replicas
    key_a = tenant_key(a)
    prompt = f"cached for A only {uuid.uuid4().hex}"
    first = answer(chat(a, key_a, prompt, cache={"use-cache": True, "namespace": "team-a"}))
    wait_for(lambda: shared.keys("gateway:response*"), timeout_s=15, what="A's cache entry in Redis")
    assert answer(chat(b, key_a, prompt, cache={"use-cache": True})) == first  # A's own entry, other replica
    assert len(chat_bodies(ollama)) == 1
    a_hash_namespace = f"gateway:response:{hashlib.sha256(key_a['token'].encode()).hexdigest()[:16]}"
    others = []
    for namespace in ("team-a", a_hash_namespace, "gateway:response"):
        others.append(tenant_key(a))  # a fresh key each time: B's own entry would answer B's second try
        chat(b, others[-1], prompt, cache={"use-cache": True, "namespace": namespace}).raise_for_status()
    assert len(chat_bodies(ollama)) == 4  # none of the three was answered from A's entry
    assert not any(key["token"] in name.decode() for key in [key_a, *others]
                   for name in shared.keys("gateway:response*"))  # no key material in Redis names
    assert chat(a, key_a, prompt, cache="yes").status_code == 400


def test_a_cached_responses_answer_never_reaches_another_key(replicas, gemini):
    """Issue 29.1: key A's cached Responses answer is not served to key B (other replica), whatever
    namespace B names in `metadata.redis_namespace` or `cache.namespace`."""
    a, b, shared = replicas
    key_a = new_key(a)
    body = {"model": "auto", "privacy_mode": "flexible", "input": f"responses cache {uuid.uuid4().hex}",
            "cache": {"use-cache": True}}
    first = httpx.post(a.url("/v1/responses"), json=body, headers=bearer(key_a), timeout=60)
    assert first.status_code == 200, first.text
    calls = len(gemini.requests)
    wait_for(lambda: [n for n in shared.keys("gateway:response:*") if n.count(b":") >= 3], timeout_s=15,
             what="A's Responses cache entry under a per-key namespace")
    assert not shared.keys("gateway:response:" + "?" * 64)  # no entry under the shared namespace
    for extra in ({}, {"metadata": {"redis_namespace": "gateway:response"}},
                  {"cache": {"use-cache": True, "namespace": "gateway:response"}}):
        key_b = new_key(a)  # a fresh key each time: B's own entry would answer B's second try
        other = httpx.post(b.url("/v1/responses"), json={**body, **extra}, headers=bearer(key_b), timeout=60)
        assert other.status_code == 200, other.text
    assert len(gemini.requests) == calls + 3  # each of B's requests reached the model: none was A's answer
    again = httpx.post(b.url("/v1/responses"), json=body, headers=bearer(key_a), timeout=60)
    assert again.status_code == 200 and len(gemini.requests) == calls + 3  # A's own entry, other replica


# --- 6. key info ---------------------------------------------------------------------------------


def test_a_key_reads_only_its_own_info(replicas):
    a, b, _ = replicas
    key_a = tenant_key(a, key_alias=f"tenant-a-{uuid.uuid4().hex[:6]}", metadata={"owner": "a"})
    key_b = tenant_key(a)
    for ask in (key_a["key"], key_a["token"]):
        response = httpx.get(b.url("/key/info"), params={"key": ask}, headers=bearer(key_b), timeout=30)
        assert response.status_code == 403, response.text
        assert key_a["key_alias"] not in response.text and "owner" not in response.text
    listed = httpx.post(b.url("/v2/key/info"), json={"keys": [key_a["token"]]}, headers=bearer(key_b), timeout=30)
    assert listed.status_code == 200 and listed.json()["info"] == [], listed.text
    own = httpx.get(b.url("/key/info"), params={"key": key_b["token"]}, headers=bearer(key_b), timeout=30)
    assert own.status_code == 200 and own.json()["info"]["models"], own.text
    assert httpx.get(b.url("/key/info"), headers=bearer(key_b), timeout=30).status_code == 200  # no key = itself
    admin = httpx.get(b.url("/key/info"), params={"key": key_a["token"]}, headers=b.auth, timeout=30)
    assert admin.status_code == 200 and admin.json()["info"]["key_alias"] == key_a["key_alias"]
    listing = httpx.get(a.url("/key/list"), headers=bearer(key_b), timeout=30)  # LiteLLM's: keys with a user only
    assert listing.status_code in (401, 403) and key_a["key_alias"] not in listing.text, listing.text


# --- 9. policy pins ------------------------------------------------------------------------------


def flexible(gateway: Gateway, key: dict, **fields) -> httpx.Response:
    return chat(gateway, key, EMAIL, privacy_mode="flexible", **fields)


def test_a_key_pin_of_block_cannot_be_loosened_by_the_request(replicas, ollama, gemini):
    a, b, _ = replicas
    key = new_key(a, metadata={"gateway": {"sensitive_data": "block"}})
    for fields in ({"sensitive_data": "redact"}, {"sensitive_data": "escalate"}, {}):
        response = flexible(b, key, **fields)
        assert response.status_code == 403, (fields, response.text)
        assert response.json()["error"]["code"] == "sensitive_data_blocked"
    forged = flexible(b, key, sensitive_data="redact", gateway_local_call={})  # the local-call mark is not JSON
    assert forged.status_code == 400 and forged.json()["error"]["code"] == "field_not_allowed", forged.text
    response = flexible(b, key, escalation="off")
    assert response.status_code == 403 and "pinned" in response.json()["error"]["message"]
    assert answer(chat(b, key, "no personal data here", privacy_mode="flexible"))  # clean requests still go out
    assert len(gemini.requests) == 1 and "example.org" not in json.dumps(gemini.requests[0].body)
    assert chat_bodies(ollama) == []


def test_a_team_pin_holds_for_its_keys_and_a_request_may_tighten_it(replicas, ollama, gemini):
    a, b, _ = replicas
    team = httpx.post(a.url("/team/new"), headers=a.auth, timeout=30, json={
        "team_alias": f"pinned-{uuid.uuid4().hex[:6]}", "metadata": {"gateway": {"sensitive_data": "escalate"}}})
    assert team.status_code == 200, team.text
    key = new_key(a, team_id=team.json()["team_id"])
    escalated = flexible(b, key, sensitive_data="redact")  # the request asks for less than the team's pin
    assert escalated.status_code == 200, escalated.text
    assert escalated.headers["x-gateway-escalated"] == "sensitive-data"
    assert escalated.headers["x-gateway-privacy"] == "strict" and "x-gateway-redacted" not in escalated.headers
    tightened = flexible(a, key, sensitive_data="block")
    assert tightened.status_code == 403 and tightened.json()["error"]["code"] == "sensitive_data_blocked"
    explained = httpx.post(b.url("/v1/route/explain"), headers=bearer(key), timeout=60, json={
        "model": "auto", "task": "chat", "privacy_mode": "flexible", "sensitive_data": "redact",
        "messages": [{"role": "user", "content": EMAIL}]})
    assert explained.status_code == 200 and explained.json()["action"] == "escalate", explained.text
    assert gemini.requests == [] and len(chat_bodies(ollama)) == 1


# --- 2. path model = body model ------------------------------------------------------------------


def test_a_path_model_is_the_model_the_key_is_checked_for(replicas, gemini):
    a, b, _ = replicas
    key, both = new_key(a, models=["bge-m3"]), new_key(a, models=["bge-m3", "siglip"])
    for prefix in ("/engines", "/openai/deployments"):
        for body in ({"model": "bge-m3", "input": "x"}, {"input": "x"}):  # the body's model is allowed, the path's not
            refused = httpx.post(b.url(f"{prefix}/siglip/embeddings"), json=body, headers=bearer(key), timeout=60)
            assert refused.status_code in (400, 401, 403) and "data" not in refused.json(), refused.text
        mismatch = httpx.post(a.url(f"{prefix}/siglip/embeddings"), json={"model": "bge-m3", "input": "x"},
                              headers=bearer(both), timeout=60)
        assert mismatch.status_code == 400 and mismatch.json()["error"]["param"] == "model", mismatch.text
        served = httpx.post(b.url(f"{prefix}/bge-m3/embeddings"), json={"input": "x"}, headers=bearer(key),
                            timeout=60)
        assert served.status_code == 200 and served.json()["model"] == "bge-m3", served.text
    assert gemini.requests == []


# --- 5. the gateway's own routes for ordinary keys -----------------------------------------------


def test_the_gateway_routes_serve_ordinary_keys_under_their_model_checks(replicas, ollama, gemini):
    a, b, _ = replicas
    key = tenant_key(a)  # no allowed_routes
    auth = bearer(key)
    text = httpx.post(b.url("/v1/embeddings/text"), json={"text": "hola"}, headers=auth, timeout=60)
    assert text.status_code == 200 and text.json()["embedding"], text.text
    image = httpx.post(a.url("/v1/embeddings/image"), files={"file": ("a.png", media.png(), "image/png")},
                       headers=auth, timeout=60)
    assert image.status_code == 200, image.text
    assert httpx.get(b.url("/v1/embeddings/models"), headers=auth, timeout=30).status_code == 200
    model = httpx.get(a.url("/v1/models/chat-strict"), headers=auth, timeout=30)
    assert model.status_code == 200 and model.json()["id"] == "chat-strict", model.text
    explained = httpx.post(b.url("/v1/route/explain"), headers=auth, timeout=60, json={
        "model": "auto", "task": "chat", "privacy_mode": "strict", "messages": [{"role": "user", "content": "hi"}]})
    assert explained.status_code == 200 and explained.json()["group"] == "chat-strict", explained.text
    audio = {"file": ("a.wav", media.wav(1.0), "audio/wav")}
    for path in ("/v1/audio/transcriptions", "/v1/audio/translations"):
        heard = httpx.post(a.url(path), data={"model": "whisper-local"}, files=audio, headers=auth, timeout=120)
        assert heard.status_code == 200, (path, heard.text)

    narrow = new_key(a, models=["bge-m3"])  # the same routes still hold a key to its models
    refused = httpx.post(b.url("/v1/embeddings/image"), files={"file": ("a.png", media.png(), "image/png")},
                         headers=bearer(narrow), timeout=60)
    assert refused.status_code in (401, 403), refused.text
    refused = httpx.post(a.url("/v1/audio/translations"), data={"model": "whisper-local"}, files=audio,
                         headers=bearer(narrow), timeout=60)
    assert refused.status_code in (401, 403), refused.text
    assert httpx.get(b.url("/v1/models/chat-strict"), headers=bearer(narrow), timeout=30).status_code == 404
    assert gemini.requests == [] and chat_bodies(ollama) == []  # explain, embeddings and audio stay local


def test_explain_counts_against_the_keys_rpm_limit_on_both_replicas(replicas, ollama, gemini):
    a, b, _ = replicas
    key = tenant_key(a, rpm_limit=2)
    body = {"model": "auto", "task": "chat", "privacy_mode": "strict", "messages": [{"role": "user", "content": "hi"}]}
    start_of_minute()
    statuses = [httpx.post(gateway.url("/v1/route/explain"), json=body, headers=bearer(key), timeout=60).status_code
                for gateway in (a, b, a)]
    assert statuses == [200, 200, 429], statuses
    assert chat_bodies(ollama) == [] and gemini.requests == []


def test_a_parallel_request_slot_is_given_back_by_explain_and_by_a_failed_transcription(replicas, ollama):
    """Issue 29, 3: with `max_parallel_requests: 1`, an explain call (200) and a transcription that fails (400)
    each give their slot back: the key's next requests are served, on both replicas."""
    a, b, _ = replicas
    key = tenant_key(a, max_parallel_requests=1)
    body = {"model": "auto", "task": "chat", "privacy_mode": "strict", "messages": [{"role": "user", "content": "hi"}]}
    assert httpx.post(a.url("/v1/route/explain"), json=body, headers=bearer(key), timeout=60).status_code == 200
    failed = httpx.post(b.url("/v1/audio/transcriptions"), headers=bearer(key), timeout=60,
                        data={"model": "whisper-local"}, files={"file": ("notes.txt", b"not audio", "text/plain")})
    assert failed.status_code == 400, failed.text
    for gateway in (a, b, a):
        response = chat(gateway, key, f"still served {uuid.uuid4().hex}")
        assert response.status_code == 200, response.text


# --- 3. seed embedding routes and budgets ---------------------------------------------------------


def test_seed_embedding_routes_stop_at_the_keys_budget(replicas, database):
    a, b, _ = replicas
    key = tenant_key(a, max_budget=COST)  # one call of a few tokens costs more than this
    served = 0
    for attempt in range(20):
        gateway = (a, b)[attempt % 2]
        response = httpx.post(gateway.url("/v1/embeddings/text"), json={"text": "hola mundo"}, headers=bearer(key),
                              timeout=60)
        if response.status_code != 200:
            assert response.status_code in (400, 422, 429) and "budget" in response.text.lower(), response.text
            break
        served += 1
        time.sleep(0.7)  # spend is counted after the response, written every second
    else:
        pytest.fail("the budget never stopped the seed route")
    assert 1 <= served <= 3
    charged = spend_rows(database, key, served, charged=True)  # LiteLLM may also log the refused call, at no cost
    assert [row["group"] for row in charged] == ["bge-m3"] * served, charged


# --- 4. audio routes: limits, spend, budgets ------------------------------------------------------


def test_audio_routes_are_rate_limited_and_logged_as_spend(replicas, database, gemini):
    a, b, _ = replicas
    key = tenant_key(a, rpm_limit=2)
    audio = {"file": ("a.wav", media.wav(1.0), "audio/wav")}
    start_of_minute()
    statuses = [httpx.post(gateway.url(path), data={"model": "whisper-local"}, files=audio, headers=bearer(key),
                           timeout=120).status_code
                for gateway, path in ((a, "/v1/audio/transcriptions"), (b, "/v1/audio/translations"),
                                      (a, "/v1/audio/transcriptions"))]
    assert statuses == [200, 200, 429], statuses
    rows = spend_rows(database, key, 2)
    assert [row["group"] for row in rows] == ["whisper-local"] * 2, rows
    assert all(row["spend"] > 0 for row in rows), rows
    assert {row["call_type"] for row in rows} == {"atranscription"} and gemini.requests == []


def test_audio_routes_stop_at_the_keys_budget(replicas):
    a, b, _ = replicas
    key = tenant_key(a, max_budget=COST / 2)  # one second of audio costs COST
    audio = {"file": ("a.wav", media.wav(1.0), "audio/wav")}
    first = httpx.post(a.url("/v1/audio/transcriptions"), data={"model": "whisper-local"}, files=audio,
                       headers=bearer(key), timeout=120)
    assert first.status_code == 200, first.text

    def refused() -> bool:
        response = httpx.post(b.url("/v1/audio/transcriptions"), data={"model": "whisper-local"}, files=audio,
                              headers=bearer(key), timeout=120)
        return response.status_code != 200 and "budget" in response.text.lower()

    wait_for(refused, timeout_s=20, what="the budget to stop the key")


# --- 7. admin spend-log routes --------------------------------------------------------------------


def test_spend_log_routes_are_served_to_the_admin(replicas):
    a, _, _ = replicas
    today = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    dates = {"start_date": today, "end_date": today}
    for path, params in (("/spend/logs", {}), ("/spend/logs/ui", {"start_date": f"{today} 00:00:00",
                                                                     "end_date": f"{today} 23:59:59"}),
                         ("/global/spend/logs", {}), ("/spend/logs/v2", dates)):
        response = httpx.get(a.url(path), params=params, headers=a.auth, timeout=30)
        assert response.status_code == 200, (path, response.text)
    assert httpx.get(a.url("/health/test_connection"), headers=a.auth, timeout=30).status_code == 404
    key, other = tenant_key(a), tenant_key(a)  # a tenant key still may not read everyone's logs
    assert httpx.get(a.url("/global/spend/logs"), headers=bearer(key), timeout=30).status_code in (401, 403)
    answer(chat(a, other, "a row in the spend logs"))
    logs = httpx.get(a.url("/spend/logs"), params={"api_key": other["token"]}, headers=bearer(key), timeout=30)
    assert logs.status_code in (401, 403) or logs.json() == [], logs.text


# --- 8. backend addresses --------------------------------------------------------------------------


def test_backend_addresses_are_hidden_from_tenant_keys(replicas, ollama):
    a, b, _ = replicas
    key = tenant_key(a)
    host = ollama.base_url.split("//", 1)[1]
    for path in ("/model/info", "/v1/model/info", "/v2/model/info", "/model_group/info"):
        tenant = httpx.get(b.url(path), headers=bearer(key), timeout=30)
        assert tenant.status_code == 200, (path, tenant.text)
        assert host not in tenant.text and "api_base" not in tenant.text, path
    admin = httpx.get(b.url("/model/info"), headers=b.auth, timeout=30)
    assert host in admin.text  # admins keep them
    admin_reply = chat(a, {"key": a.master_key}, "hi")
    assert host in admin_reply.headers.get("x-litellm-model-api-base", ""), dict(admin_reply.headers)
    for gateway in (a, b):
        reply = chat(gateway, key, "hi")
        assert reply.status_code == 200
        assert not any(host in value for value in reply.headers.values()), dict(reply.headers)
        assert "x-litellm-model-api-base" not in reply.headers and "llm_provider-server" not in reply.headers


# --- 9. revocation, end users, rate-limit headers (issue 29: 2, 4, 5) ------------------------------


def served_within(gateway: Gateway, key: dict, status: int, seconds: float = 1.0) -> float:
    """Seconds until `key` gets `status` on `gateway` (asserted to be under `seconds`)."""
    started = time.monotonic()
    while True:
        got = chat(gateway, key, f"revoked? {uuid.uuid4().hex}").status_code
        elapsed = time.monotonic() - started
        if got == status:
            return elapsed
        assert elapsed < seconds, f"still {got} after {elapsed:.2f} s, not {status}"
        time.sleep(0.05)


def test_a_deleted_key_is_refused_on_every_replica_within_a_second(replicas):
    """Issue 29.2: replica b has the key in its auth cache; a delete on replica a reaches it at once."""
    a, b, _ = replicas
    key = tenant_key(a)
    for gateway in (b, a, b):
        answer(chat(gateway, key, "cached in both replicas' auth caches"))
    deleted = httpx.post(a.url("/key/delete"), headers=a.auth, json={"keys": [key["key"]]}, timeout=30)
    assert deleted.status_code == 200, deleted.text
    served_within(b, key, 401)
    served_within(a, key, 401)


def test_a_key_deleted_by_alias_is_refused_on_every_replica(replicas):
    a, b, _ = replicas
    alias = f"leaving-{uuid.uuid4().hex[:8]}"
    key = tenant_key(a, key_alias=alias)
    answer(chat(b, key, "cached on b"))
    deleted = httpx.post(a.url("/key/delete"), headers=a.auth, json={"key_aliases": [alias]}, timeout=30)
    assert deleted.status_code == 200, deleted.text
    served_within(b, key, 401)


def test_regenerating_a_key_is_a_clear_refusal_that_changes_nothing(replicas):
    """LiteLLM regenerates keys only with an Enterprise licence: a 403 saying so (not a 500), and the key
    keeps working (docs/ADMIN.md: rotate by generating a new key and deleting the old one)."""
    a, b, _ = replicas
    key = tenant_key(a)
    answer(chat(b, key, "cached on b"))
    for path in (f"/key/{key['key']}/regenerate", "/key/regenerate"):
        refused = httpx.post(a.url(path), headers=a.auth, json={"key": key["key"]}, timeout=30)
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"]["code"] == "enterprise_feature" and "Enterprise" in refused.text
    for gateway in (a, b):
        answer(chat(gateway, key, "still the same key"))


def test_an_expired_key_is_refused_on_every_replica(replicas):
    a, b, _ = replicas
    key = tenant_key(a, duration="3s")
    answer(chat(b, key, "cached on b before it expires"))
    time.sleep(3.2)
    served_within(b, key, 401)
    served_within(a, key, 401)


def test_a_key_whose_expiry_is_brought_forward_is_refused_on_every_replica(replicas):
    a, b, _ = replicas
    key = tenant_key(a, duration="1h")
    answer(chat(b, key, "cached on b"))
    updated = httpx.post(a.url("/key/update"), headers=a.auth, json={"key": key["key"], "duration": "1s"}, timeout=30)
    assert updated.status_code == 200, updated.text
    time.sleep(1.2)
    served_within(b, key, 401)


def team_key(gateway: Gateway, team_id: str, **body) -> dict:
    return tenant_key(gateway, team_id=team_id, **body)


def new_team(gateway: Gateway) -> str:
    team_id = f"tenant-{uuid.uuid4().hex[:8]}"
    response = httpx.post(gateway.url("/team/new"), headers=gateway.auth, json={"team_id": team_id}, timeout=30)
    assert response.status_code == 200, response.text
    return team_id


def customer_spend(gateway: Gateway, end_user: str) -> float | None:
    info = httpx.get(gateway.url("/customer/info"), params={"end_user_id": end_user}, headers=gateway.auth, timeout=30)
    return info.json().get("spend") if info.status_code == 200 else None


def test_an_end_user_id_reaches_only_the_end_users_of_the_keys_team(replicas, database):
    """Issue 29.4: the admin creates end user `acme-x` for tenant A's team (`<team_id>/acme-x`, docs/ADMIN.md)
    with a tiny budget. Tenant B sending `"user": "acme-x"` (body, header or metadata) is charged to its own
    team's end user, never to A's: A's end user's spend and budget move only with A's calls."""
    a, b, _ = replicas
    team_a, team_b = new_team(a), new_team(a)
    key_a, key_b = team_key(a, team_a), team_key(a, team_b)
    created = httpx.post(a.url("/customer/new"), headers=a.auth, timeout=30,
                         json={"user_id": f"{team_a}/acme-x", "max_budget": 0.02})
    assert created.status_code == 200, created.text
    for extra, headers in (({"user": "acme-x"}, {}), ({}, {"x-litellm-end-user-id": "acme-x"}),
                           ({"metadata": {"user_id": "acme-x"}}, {}), ({"user": "acme-x"}, {})):
        body = {"model": "auto", "task": "chat", "privacy_mode": "strict",
                "messages": [{"role": "user", "content": "B's call " + "word " * 20}], **extra}
        for gateway in (a, b):
            reply = httpx.post(gateway.url("/v1/chat/completions"), json=body, timeout=60,
                               headers={**bearer(key_b), **headers})
            assert reply.status_code == 200, reply.text
    time.sleep(3)  # spend is written in batches (proxy_batch_write_at: 1)
    assert customer_spend(a, f"{team_a}/acme-x") in (0, 0.0, None)
    assert customer_spend(a, "acme-x") is None  # no unscoped end user was made either
    answer(chat(b, key_a, "A's call", user="acme-x"))
    wait_for(lambda: (customer_spend(a, f"{team_a}/acme-x") or 0) > 0, timeout_s=20, what="A's end user's spend")
    refused = None
    for _ in range(30):  # A's end user runs out of its budget: A is refused, B is still served
        reply = chat(a, key_a, "A's call " + "word " * 50, user="acme-x")
        if reply.status_code != 200:
            refused = reply
            break
        time.sleep(0.3)
    assert refused is not None and refused.status_code in (400, 422, 429), "A's end user never ran out"
    assert "acme-x" in refused.text and team_b not in refused.text
    answer(chat(b, key_b, "B is still served", user="acme-x"))
    for path, params in (("/customer/info", {"end_user_id": f"{team_a}/acme-x"}), ("/customer/list", {}),
                         ("/end_user/info", {"end_user_id": f"{team_a}/acme-x"})):
        peek = httpx.get(b.url(path), params=params, headers=bearer(key_b), timeout=30)
        assert peek.status_code in (401, 403, 404), (path, peek.text)  # a tenant reads no end user's spend


def ratelimit_headers(response: httpx.Response) -> dict[str, str]:
    return {name: value for name, value in response.headers.items() if "ratelimit" in name}


def test_rate_limit_headers_show_only_the_tenants_own_limits(replicas):
    """Issue 29.5: the deployment's shared counts (everyone's traffic) are not shown to a tenant; the standard
    headers carry the key's own limit and what is left of it."""
    a, b, _ = replicas
    key_a, key_b = tenant_key(a), tenant_key(a, rpm_limit=50)
    start_of_minute()
    first = chat(b, key_b, "B's first call")
    assert first.status_code == 200, first.text
    for _ in range(3):
        answer(chat(a, key_a, "A's traffic on the shared deployment"))
    second = chat(b, key_b, "B's second call")
    assert second.status_code == 200, second.text
    for reply, used in ((first, 1), (second, 2)):
        headers = ratelimit_headers(reply)
        assert headers.get("x-ratelimit-limit-requests") == "50", headers
        assert headers.get("x-ratelimit-remaining-requests") == str(50 - used), headers
        assert all(name.startswith(("x-ratelimit-limit-", "x-ratelimit-remaining-", "x-ratelimit-reset-",
                                    "x-ratelimit-api_key-", "x-ratelimit-team-")) for name in headers), headers
        assert not any(name.startswith("llm_provider-") for name in headers), headers
    no_limit = ratelimit_headers(chat(b, key_a, "A has no limit of its own"))
    assert "x-ratelimit-remaining-requests" not in no_limit and "x-ratelimit-remaining-tokens" not in no_limit, no_limit
    admin = ratelimit_headers(chat(a, {"key": a.master_key}, "the admin sees the deployment"))
    assert "x-ratelimit-remaining-requests" in admin, admin


def test_a_team_rate_limit_holds_across_its_keys_and_replicas_and_only_for_that_team(replicas):
    """Team-level limits are shared by the team's keys on every replica, and by no other team."""
    a, b, _ = replicas
    team = new_team(a)
    assert httpx.post(a.url("/team/update"), headers=a.auth, json={"team_id": team, "rpm_limit": 2},
                      timeout=30).status_code == 200
    first, second = team_key(a, team), team_key(a, team)
    other_team = team_key(a, new_team(a))
    start_of_minute()
    statuses = [chat(gateway, key, f"team burst {uuid.uuid4().hex}").status_code
                for gateway, key in ((a, first), (b, second), (a, second))]
    assert statuses == [200, 200, 429], statuses
    answer(chat(b, other_team, "another team is not limited by it"))


def test_the_keys_of_a_deleted_team_are_refused_on_every_replica_within_a_second(replicas):
    a, b, _ = replicas
    team = new_team(a)
    key = team_key(a, team)
    answer(chat(b, key, "cached on b"))
    deleted = httpx.post(a.url("/team/delete"), headers=a.auth, json={"team_ids": [team]}, timeout=30)
    assert deleted.status_code == 200, deleted.text
    served_within(b, key, 401)


def test_a_refused_admin_read_is_a_client_error_in_its_type_too(replicas):
    """LiteLLM labels some 4xx `internal_server_error`; the envelope says what the status says."""
    _, b, _ = replicas
    key = tenant_key(b)
    for path in ("/user/info", "/v2/user/info"):
        refused = httpx.get(b.url(path), headers=bearer(key), timeout=30)
        assert 400 <= refused.status_code < 500, (path, refused.text)
        assert refused.json()["error"]["type"] == "invalid_request_error", (path, refused.text)
