"""Scale-out (docs/SCALING.md): two replicas sharing a real Redis (127.0.0.1:6379, DB 5), and a
replica whose own Redis goes away and comes back."""

from __future__ import annotations

import asyncio
import concurrent.futures
import copy
import json
import shutil
import subprocess
import time
import uuid
from datetime import datetime, timezone

import httpx
import psutil
import pytest
import redis
import requests
import yaml

from tests import media
from tests.conftest import backend_env
from tests.gateway_process import ROOT, Gateway, deep_merge, free_port
from tests.helpers import chat_bodies, gemini_calls

SHARED_REDIS = "redis://127.0.0.1:6379/5"  # a DB of its own, flushed here; DB 0 is never touched
RPM = 4  # vision-strict's deployment limit in these tests, for all replicas together
UNREACHABLE = "is unreachable"  # the gateway's one warning when Redis goes away


def redis_or_skip(url: str) -> redis.Redis:
    client = redis.Redis.from_url(url, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.skip(f"these tests need a Redis server at {url} ({error})")
    return client


def limited_model_list() -> list[dict]:
    """The real model list, with an rpm limit on the vision-strict deployment (the model group)."""
    model_list = copy.deepcopy(yaml.safe_load((ROOT / "litellm_config.yaml").read_text())["model_list"])
    for deployment in model_list:
        if deployment["model_name"] == "vision-strict":
            deployment["litellm_params"]["rpm"] = RPM
    return model_list


def front_model_list(hosts: list[Gateway]) -> list[dict]:
    """docs/SCALING.md's front gateway: its bge-m3 group lists every GPU host's gateway."""
    model_list = [d for d in yaml.safe_load((ROOT / "litellm_config.yaml").read_text())["model_list"]
                  if d["model_name"] != "bge-m3"]
    return model_list + [
        {"model_name": "bge-m3",
         "litellm_params": {"model": "openai/bge-m3", "api_base": host.url("/v1"), "api_key": host.master_key},
         "model_info": {"mode": "embedding", "input_cost_per_token": 0, "output_cost_per_token": 0}}
        for host in hosts
    ]


@pytest.fixture(scope="module")
def replicas(ollama, gemini, tiny_models):
    """Two gateways with the same config and the same REDIS_URL, as behind a load balancer, and a
    front gateway balancing bge-m3 over both.

    Module-scoped (built like conftest's start_gateway) so the three start once, in parallel."""
    shared = redis_or_skip(SHARED_REDIS)
    shared.flushdb()
    config = deep_merge(tiny_models, {"model_list": limited_model_list()})
    env = {**backend_env(ollama, gemini), "REDIS_URL": SHARED_REDIS}
    gateways = [Gateway(config_overrides=config, env=env) for _ in range(2)]
    gateways.append(Gateway(config_overrides=deep_merge(tiny_models, {"model_list": front_model_list(gateways)}),
                            env=backend_env(ollama, gemini)))
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        started = [pool.submit(gateway.start) for gateway in gateways]
        try:
            for future in started:
                future.result()
        except Exception:
            for gateway in gateways:
                gateway.close()
            raise
    yield gateways[0], gateways[1], shared, gateways[2]
    for gateway in gateways:
        gateway.close()
    shared.flushdb()


def chat(gateway, prompt: str, *, cache: bool = False, task: str = "chat", client=httpx) -> httpx.Response:
    body = {"model": "auto", "task": task, "privacy_mode": "strict", "messages": [{"role": "user", "content": prompt}]}
    if cache:
        body["cache"] = {"use-cache": True}
    return client.post(gateway.url("/v1/chat/completions"), json=body, headers=gateway.auth, timeout=60)


def upload_audio(gateway, data: bytes) -> requests.Response:
    fields = {"task": "vision", "privacy_mode": "flexible", "messages": json.dumps(
        [{"role": "user", "content": [{"type": "text", "text": "Transcribe"}, {"type": "audio", "file_index": 0}]}])}
    response = requests.post(gateway.url("/v1/chat/completions"), data=fields, headers=gateway.auth, timeout=120,
                             files=[("files", ("a.mp3", data, "audio/mpeg"))])
    assert response.status_code == 200, response.text
    assert response.headers["x-gateway-attachments"] == "audio/mp3:file_api"
    return response


def answer(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    return response.json()["choices"][0]["message"]["content"]


def wait_for(condition, timeout_s: float = 10, what: str = "condition"):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


# --- two replicas, one Redis --------------------------------------------------------------------


def test_upload_through_one_replica_is_reused_through_the_other(replicas, gemini):
    a, b, shared, _ = replicas
    data = media.mp3(5 * media.MB, seed=201)
    upload_audio(a, data)
    upload_audio(b, data)
    assert gemini.upload_count == 1
    assert gemini.generate_count == 2
    keys = shared.keys("gateway:upload:*")
    assert len(keys) == 1  # namespaced; the key scope in it is hashed
    assert 46 * 3600 < shared.ttl(keys[0]) <= 47 * 3600  # reuse_for_hours: gone before the file's 48 h


def test_cached_response_on_one_replica_is_served_by_the_other(replicas, ollama):
    a, b, shared, _ = replicas
    prompt = f"cache me {uuid.uuid4().hex}"
    first = answer(chat(a, prompt, cache=True))
    wait_for(lambda: shared.keys("gateway:response*"), what="the response cache entry in Redis")
    assert answer(chat(b, prompt, cache=True)) == first
    assert len(chat_bodies(ollama)) == 1
    answer(chat(b, prompt))  # the cache is opt-in: without {"cache": {"use-cache": true}} the model answers
    assert len(chat_bodies(ollama)) == 2


def test_model_group_rpm_limit_holds_across_both_replicas(replicas, ollama):
    a, b, _, _ = replicas
    second = datetime.now(timezone.utc).second
    if second >= 54:  # LiteLLM counts per calendar minute: start the burst inside one
        time.sleep(60.5 - second)
    responses = [chat(gateway, f"rpm {i}", task="vision") for i, gateway in enumerate([a, b] * 3)]
    statuses = [response.status_code for response in responses]
    assert statuses == [200] * RPM + [429, 429], statuses  # the 5th (A) and the 6th (B) are refused
    assert f"RPM limit={RPM}" in responses[-1].json()["error"]["message"]
    assert len(chat_bodies(ollama)) == RPM


def test_front_gateway_balances_one_embedding_group_over_both_hosts(replicas):
    a, b, _, front = replicas
    bases = set()
    for _ in range(12):
        response = httpx.post(front.url("/v1/embeddings"), headers=front.auth, timeout=60,
                              json={"model": "bge-m3", "input": ["hello", "hola"]})
        assert response.status_code == 200, response.text
        assert len(response.json()["data"]) == 2
        bases.add(response.headers.get("x-litellm-model-api-base"))  # LiteLLM leaves it out when the call lacks one
    assert bases - {None} == {a.url("/v1"), b.url("/v1")}


def test_stopping_one_replica_mid_burst_leaves_the_other_serving(replicas, ollama):
    a, b, _, _ = replicas
    results: list[tuple[str, httpx.Response, float]] = []

    async def burst() -> tuple[float, float]:
        done = asyncio.Event()
        async with httpx.AsyncClient() as http:

            async def worker(n: int) -> None:
                while not done.is_set():
                    prompt = f"burst {n} {uuid.uuid4().hex}"
                    response = await chat(b, prompt, cache=True, client=http)
                    results.append((prompt, response, time.monotonic()))

            workers = [asyncio.create_task(worker(n)) for n in range(8)]
            await asyncio.sleep(0.5)
            stopping = time.monotonic()
            await asyncio.to_thread(a.stop)  # replica A goes away while B is busy
            stopped = time.monotonic()
            await asyncio.sleep(1)
            done.set()
            await asyncio.gather(*workers)
        return stopping, stopped

    stopping, stopped = asyncio.run(burst())
    assert a.process.poll() is not None
    assert any(at < stopping for *_, at in results) and any(at > stopped for *_, at in results)
    for prompt, response, _ in results:
        assert prompt in answer(response)  # each answer is its own request's, never another's
    assert len(chat_bodies(ollama)) == len(results)


# --- Redis goes away and comes back ----------------------------------------------------------------


def start_redis(port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--daemonize", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port, socket_timeout=1)
    wait_for(lambda: _pings(client), what=f"redis-server on port {port}")
    return server


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


def stop_redis(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.terminate()
        server.wait(timeout=10)


def test_redis_outage_degrades_to_memory_and_recovers(start_gateway, ollama, gemini):
    if shutil.which("redis-server") is None:
        pytest.skip("this test starts its own redis-server (not found on PATH)")
    port = free_port()
    server = start_redis(port)
    try:
        own = redis.Redis(port=port, socket_timeout=1)
        gateway = start_gateway(
            config_overrides={"gateway": {"scaling": {"redis_retry_s": 1}}},
            env={"REDIS_URL": f"redis://127.0.0.1:{port}/0", "REDIS_CIRCUIT_BREAKER_RECOVERY_TIMEOUT": "2"},
        )
        upload_audio(gateway, media.mp3(5 * media.MB, seed=210))
        assert len(own.keys("gateway:upload:*")) == 1

        stop_redis(server)
        # Degraded, not down: chat (cache opt-in included) and uploads keep working, reuse per instance.
        for i in range(3):
            prompt = f"no redis {i} {uuid.uuid4().hex}"
            assert prompt in answer(chat(gateway, prompt, cache=True))
        data = media.mp3(5 * media.MB, seed=211)
        upload_audio(gateway, data)
        time.sleep(1.2)  # past redis_retry_s: Redis is tried (and fails) again, without a second warning
        upload_audio(gateway, data)
        assert gemini.upload_count == 2  # seed 210 before the outage, seed 211 once
        # One warning per shared cache: the upload reuse and the scan verdicts (audio is scanned before upload).
        assert gateway.log().count(UNREACHABLE) == 2, gateway.log()[-3000:]

        server = start_redis(port)  # same port, empty
        time.sleep(1.2)
        upload_audio(gateway, media.mp3(5 * media.MB, seed=212))
        assert len(own.keys("gateway:upload:*")) == 1  # shared again: the new upload is in Redis
        assert "answers again" in gateway.log()
        assert gateway.log().count(UNREACHABLE) == 2
    finally:
        stop_redis(server)


def test_workers_front_with_an_embedding_only_instance(start_gateway, ollama, gemini):
    """docs/SCALING.md, several workers on one host: each `--num_workers` worker is a process with its own
    copy of the models, so the front runs N workers with `embeddings.enabled: false` and its embedding
    group points at one embedding-only instance. Strict chat still stays local through every worker."""
    embedder = start_gateway()
    front = start_gateway({"model_list": front_model_list([embedder]), "gateway": {"embeddings": {"enabled": False}}},
                          args=("--num_workers", "2"))
    workers = psutil.Process(front.process.pid).children(recursive=True)
    assert len([worker for worker in workers if worker.name().startswith("python")]) >= 2
    for _ in range(6):
        response = httpx.post(front.url("/v1/embeddings"), headers=front.auth, timeout=60,
                              json={"model": "bge-m3", "input": ["hello"]})
        assert response.status_code == 200, response.text
        assert response.headers["x-litellm-model-api-base"] == embedder.url("/v1")
    for _ in range(4):
        front.client().chat.completions.create(model="auto", messages=[{"role": "user", "content": "hi"}],
                                               extra_body={"privacy_mode": "strict"})
    assert len(chat_bodies(ollama)) == 4 and gemini_calls(gemini) == []
    siglip = httpx.post(front.url("/v1/embeddings"), headers=front.auth, timeout=60,
                        json={"model": "siglip", "input": ["a cat"]})  # still embedding_server/ on the front
    assert siglip.status_code == 503 and "gateway.embeddings.enabled: false" in siglip.text
