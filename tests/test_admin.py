"""Teams' admin features on LiteLLM's real database layer: virtual keys limited to model groups,
budgets, spend logs tagged with task/privacy, and the admin UI.

The database tests need the offline Prisma engines (`scripts/setup_db_offline`) and PostgreSQL;
they get a fresh database and one gateway for the module. Without them they skip, and the tests
that need no database (master-key auth, the group check) still run.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import json
import os
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest
import yaml

from tests import media
from tests.conftest import backend_env
from tests.gateway_process import ROOT, Gateway, deep_merge

ENGINE_ENV_FILE = Path(os.environ.get("PRISMA_OFFLINE_DIR", ROOT / ".cache" / "prisma-offline")) / "env"
POSTGRES = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")
ARTIFACTS = ROOT / "artifacts"
STRICT = ["chat-strict", "vision-strict", "ocr-strict"]
COST = 0.001  # per token, on the strict (Ollama) groups, which have no price in LiteLLM's cost map
HELLO = [{"role": "user", "content": "hello there"}]
STRICT_CHAT = {"task": "chat", "privacy_mode": "strict"}


def engine_env() -> dict[str, str]:
    pairs = [shlex.split(line)[0] for line in ENGINE_ENV_FILE.read_text().splitlines() if line[:1].isalpha()]
    return dict(pair.split("=", 1) for pair in pairs)


@functools.cache
def db_missing() -> str | None:
    """Why the database tests cannot run here, or None."""
    if not ENGINE_ENV_FILE.exists():
        return f"LiteLLM's DB engines are not set up ({ENGINE_ENV_FILE} missing): run scripts/setup_db_offline"
    if not Path(engine_env().get("PRISMA_QUERY_ENGINE_BINARY", "")).exists():
        return "the query engine named in the setup's env file is gone: rerun scripts/setup_db_offline"
    if not (shutil.which("psql") and shutil.which("pg_isready")) or subprocess.run(
            ["pg_isready", "-q", "-d", f"{POSTGRES}/postgres"]).returncode:
        return f"PostgreSQL (and psql) not reachable at {POSTGRES}"
    return None


needs_db = pytest.mark.skipif(db_missing() is not None, reason=str(db_missing()))


def psql(url: str, sql: str) -> list[list[str]]:
    out = subprocess.run(["psql", url, "-XtA", "-F", "\x1f", "-c", sql], capture_output=True, text=True, check=True)
    return [line.split("\x1f") for line in out.stdout.splitlines() if line]


@contextlib.contextmanager
def fresh_database(prefix: str) -> Iterator[str]:
    """A fresh database with LiteLLM's migrations, made by the setup script CI runs; dropped afterwards."""
    name = f"{prefix}_{os.getpid()}"
    url = f"{POSTGRES}/{name}"
    psql(f"{POSTGRES}/postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    subprocess.run([ROOT / "scripts" / "setup_db_offline", url], check=True, capture_output=True, timeout=600)
    try:
        yield url
    finally:
        psql(f"{POSTGRES}/postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def database():
    with fresh_database("gateway_admin") as url:
        yield url


@pytest.fixture(scope="module")
def db_gateway(ollama, gemini, tiny_models, database):
    """The real gateway on that database, with a price on the strict groups and spend written every second."""
    model_list = yaml.safe_load((ROOT / "litellm_config.yaml").read_text())["model_list"]
    for deployment in model_list:
        if deployment["model_name"] in STRICT:
            deployment.setdefault("model_info", {}).update(input_cost_per_token=COST, output_cost_per_token=COST)
    overrides = {"model_list": model_list, "general_settings": {"proxy_batch_write_at": 1}}
    env = {**backend_env(ollama, gemini), **engine_env(), "DATABASE_URL": database}
    gateway = Gateway(config_overrides=deep_merge(tiny_models, overrides), env=env).start(timeout_s=180)
    yield gateway
    gateway.close()


@pytest.fixture(scope="module")
def any_gateway(request):
    """The database gateway when there is one, else the plain session gateway (no second start-up)."""
    return request.getfixturevalue("gateway" if db_missing() else "db_gateway")


def new_key(gateway: Gateway, **body) -> dict:
    response = httpx.post(gateway.url("/key/generate"), headers=gateway.auth, json=body, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def sdk(gateway: Gateway, key: dict) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway.url("/v1"), api_key=key["key"], max_retries=0, timeout=60)


def multipart(gateway: Gateway, key: dict, task: str, privacy: str, files=None, content="hello") -> httpx.Response:
    messages = [{"role": "user", "content": content}]
    form = {"task": task, "privacy_mode": privacy, "messages": json.dumps(messages)}
    return httpx.post(gateway.url("/v1/chat/completions"), data=form, files=files,
                      headers={"Authorization": f"Bearer {key['key']}"}, timeout=60)


SPEND_COLUMNS = ("id", "call_type", "group", "spend", "tags")


def spend_rows(database: str, key: dict, count: int, timeout_s: float = 20, charged: bool = False) -> list[dict]:
    """The key's LiteLLM_SpendLogs rows once `count` are written (spend is flushed in batches).

    With `charged`, only rows that cost something count and come back: LiteLLM may also log a
    refused call, at no cost, before the charged rows of earlier calls are flushed."""
    sql = ('SELECT request_id, call_type, model_group, spend, request_tags FROM "LiteLLM_SpendLogs" '
           f"WHERE api_key = '{key['token']}' ORDER BY \"startTime\"")
    deadline = time.monotonic() + timeout_s
    while True:
        rows = [{**row, "spend": float(row["spend"]), "tags": json.loads(row["tags"] or "[]")}
                for row in (dict(zip(SPEND_COLUMNS, row, strict=True)) for row in psql(database, sql))]
        if charged:
            rows = [row for row in rows if row["spend"] > 0]
        if len(rows) >= count or time.monotonic() > deadline:
            return rows
        time.sleep(0.5)


# --- no database needed ------------------------------------------------------------------------


def test_master_key_guards_the_admin_routes(any_gateway):
    """Only the master key manages keys; without a database LiteLLM refuses other keys outright."""
    with_db = db_missing() is None
    for method, path in (("POST", "/key/generate"), ("GET", "/v1/models")):
        for headers in ({}, {"Authorization": "Bearer sk-wrong"}):
            response = httpx.request(method, any_gateway.url(path), headers=headers, json={}, timeout=30)
            assert response.status_code in ((401,) if with_db else (400, 401)), (path, headers, response.text)
            assert "key" not in response.json()
        assert httpx.get(any_gateway.url("/v1/models"), headers=any_gateway.auth, timeout=30).status_code == 200
    response = httpx.post(any_gateway.url("/key/generate"), headers=any_gateway.auth, json={}, timeout=30)
    if with_db:
        assert response.status_code == 200 and response.json()["key"].startswith("sk-")
    else:  # virtual keys need DATABASE_URL
        assert response.status_code == 500 and "set DATABASE_URL" in response.json()["error"]["message"]


def test_group_check_follows_key_and_team_models():
    """plugins.policy.key_access holds the group the gateway picked to LiteLLM's own key/team model rules."""
    from fastapi import HTTPException
    from litellm.proxy._types import UserAPIKeyAuth

    from plugins.policy.key_access import check_group_allowed

    async def allowed(key: UserAPIKeyAuth, group: str) -> bool:
        try:
            await check_group_allowed(key, group)
            return True
        except HTTPException as error:
            assert error.status_code == 403 and group in str(error.detail)
            return False

    strict_key = UserAPIKeyAuth(models=["auto", *STRICT])
    strict_team = UserAPIKeyAuth(models=[], team_id="team-strict", team_models=["auto", *STRICT])
    checks = [(strict_key, "chat-strict", True), (strict_key, "chat-flexible", False),
              (strict_team, "vision-strict", True), (strict_team, "vision-flexible", False),
              (UserAPIKeyAuth(models=[]), "chat-flexible", True)]  # no list = every model (the master key too)
    for key, group, expected in checks:
        assert asyncio.run(allowed(key, group)) is expected, (key.models, key.team_models, group)


# --- real database ------------------------------------------------------------------------------


@needs_db
def test_model_auto_must_be_in_the_keys_models(db_gateway, gemini):
    """LiteLLM checks the client's `model` at auth: a key listing only groups cannot send "auto"."""
    key = new_key(db_gateway, models=STRICT)
    with pytest.raises(openai.PermissionDeniedError):
        sdk(db_gateway, key).chat.completions.create(model="auto", messages=HELLO, extra_body=STRICT_CHAT)
    assert multipart(db_gateway, key, "chat", "strict").status_code == 403  # multipart is model="auto"
    reply = sdk(db_gateway, key).chat.completions.create(model="chat-strict", messages=HELLO, extra_body=STRICT_CHAT)
    assert reply.model == "chat-strict"
    assert gemini.requests == []


@needs_db
def test_flexible_is_refused_for_a_strict_only_key(db_gateway, ollama, gemini):
    key = new_key(db_gateway, models=["auto", *STRICT])
    client = sdk(db_gateway, key)
    assert client.chat.completions.create(model="auto", messages=HELLO, extra_body=STRICT_CHAT).model == "chat-strict"
    with pytest.raises(openai.PermissionDeniedError):
        client.chat.completions.create(model="auto", messages=HELLO, extra_body={"task": "chat",
                                                                                   "privacy_mode": "flexible"})
    with pytest.raises(openai.PermissionDeniedError):
        client.chat.completions.create(model="chat-flexible", messages=HELLO)
    assert multipart(db_gateway, key, "chat", "flexible").status_code == 403
    assert gemini.requests == []
    assert len(ollama.chat_requests) == 1


@needs_db
def test_spend_is_logged_per_call_with_task_and_privacy_tags(db_gateway, database):
    key = new_key(db_gateway, models=["auto", *STRICT, "bge-m3"], key_alias="spend-check")
    client = sdk(db_gateway, key)
    chat = client.chat.completions.create(model="auto", messages=HELLO, extra_body=STRICT_CHAT)
    form = multipart(db_gateway, key, "chat", "strict")
    image = [{"type": "text", "text": "what is this?"}, {"type": "image", "file_index": 0}]
    vision = multipart(db_gateway, key, "vision", "strict", files=[("files", ("a.png", media.png(), "image/png"))],
                       content=image)
    assert form.status_code == 200 and vision.status_code == 200, (form.text, vision.text)
    embedding = client.embeddings.create(model="bge-m3", input="hello")
    assert embedding.data

    rows = spend_rows(database, key, 4)
    chats = {row["id"]: row for row in rows if row["call_type"] == "acompletion"}
    assert set(chats) == {chat.id, form.json()["id"], vision.json()["id"]}, rows
    for request_id, task in ((chat.id, "chat"), (form.json()["id"], "chat"), (vision.json()["id"], "vision")):
        row = chats[request_id]
        assert {f"task:{task}", "privacy:strict"} <= set(row["tags"]), row
        assert row["group"] == f"{task}-strict" and row["spend"] > 0, row
    assert [row["group"] for row in rows if row["call_type"] == "aembedding"] == ["bge-m3"]

    # The same numbers through LiteLLM's reporting API: per key, and per tag.
    def key_spend() -> float:
        info = httpx.get(db_gateway.url("/key/info"), params={"key": key["key"]}, headers=db_gateway.auth).json()
        return info["info"]["spend"]

    deadline = time.monotonic() + 20  # the key's total is updated in its own batch
    while key_spend() != pytest.approx(sum(row["spend"] for row in rows)) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert key_spend() == pytest.approx(sum(row["spend"] for row in rows))
    tags = httpx.get(db_gateway.url("/spend/tags"), headers=db_gateway.auth, timeout=30).json()
    assert {"task:chat", "task:vision", "privacy:strict"} <= {tag["individual_request_tag"] for tag in tags}, tags


@needs_db
def test_budget_stops_calls_once_spent(db_gateway, ollama):
    key = new_key(db_gateway, models=["auto", *STRICT], max_budget=COST)  # one call costs ~30x this
    client = sdk(db_gateway, key)
    served = 0
    for _ in range(20):
        try:
            client.chat.completions.create(model="auto", messages=HELLO, extra_body=STRICT_CHAT)
            served += 1
            time.sleep(0.5)  # the spend is counted after the response
        except openai.APIStatusError as error:
            assert error.status_code in (400, 422, 429) and "budget" in str(error).lower(), error
            break
    else:
        pytest.fail("the budget never stopped the key")
    assert served >= 1 and len(ollama.chat_requests) == served


class Chromium:
    """Headless Chromium driven over the DevTools protocol (no test-only packages needed)."""

    def __init__(self) -> None:
        from websockets.sync.client import connect

        self.profile = tempfile.TemporaryDirectory(prefix="chromium-", ignore_cleanup_errors=True)
        self.process = subprocess.Popen(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={self.profile.name}", "--remote-debugging-port=0", "--window-size=1400,900",
             "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        port_file = Path(self.profile.name) / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and port_file.read_text().count("\n")):
            assert time.monotonic() < deadline, "chromium did not start"
            time.sleep(0.1)
        port = port_file.read_text().split()[0]
        page = next(t for t in httpx.get(f"http://127.0.0.1:{port}/json").json() if t["type"] == "page")
        self.socket, self.calls = connect(page["webSocketDebuggerUrl"], max_size=None), 0

    def call(self, method: str, **params) -> dict:
        self.calls += 1
        self.socket.send(json.dumps({"id": self.calls, "method": method, "params": params}))
        while (message := json.loads(self.socket.recv())).get("id") != self.calls:
            pass
        assert "error" not in message, message
        return message.get("result", {})

    def js(self, expression: str):
        return self.call("Runtime.evaluate", expression=expression, returnByValue=True)["result"].get("value")

    def wait_for(self, expression: str, timeout_s: float = 30) -> None:
        deadline = time.monotonic() + timeout_s
        while not self._settled(expression):
            assert time.monotonic() < deadline, f"timed out waiting for {expression}: {self.js('location.href')}"
            time.sleep(0.2)

    def _settled(self, expression: str):
        """The expression's value; falsy while the page is navigating (the UI redirects to its login)."""
        try:
            return self.js(expression)
        except AssertionError as error:
            if "navigated or closed" in str(error):
                return None
            raise

    def type_into(self, selector: str, text: str) -> None:
        self.js(f"document.querySelector({json.dumps(selector)}).focus()")
        self.call("Input.insertText", text=text)  # real key input, so the UI's form state sees it

    def close(self) -> None:
        self.socket.close()
        os.killpg(self.process.pid, signal.SIGTERM)  # the browser and its helper processes
        self.process.wait(timeout=10)
        self.profile.cleanup()


@needs_db
@pytest.mark.skipif(not shutil.which("chromium"), reason="Debian's chromium is missing: apt-get install -y chromium")
def test_admin_ui_logs_in_and_lists_the_key(db_gateway):
    key = new_key(db_gateway, models=STRICT, key_alias="ui-check", max_budget=5)
    browser = Chromium()
    try:
        browser.call("Page.navigate", url=db_gateway.url("/ui/"))
        browser.wait_for("location.pathname.includes('/login') && document.querySelectorAll('input').length >= 2")
        browser.type_into("input", "admin")  # UI_USERNAME's default; the password defaults to the master key
        browser.type_into("input[type=password]", db_gateway.master_key)
        browser.js("document.querySelector('button[type=submit]').click()")
        browser.wait_for("!location.pathname.includes('/login')")
        browser.call("Page.navigate", url=db_gateway.url("/ui/api-keys/"))
        browser.wait_for(f"document.body.innerText.includes({json.dumps(key['key_name'])})")
        ARTIFACTS.mkdir(exist_ok=True)
        shot = browser.call("Page.captureScreenshot")["data"]
        (ARTIFACTS / "admin-ui-keys.png").write_bytes(base64.b64decode(shot))
        assert "ui-check" in browser.js("document.body.innerText")
    finally:
        browser.close()
