"""Issue 33, item 3: JSON nested deeper than any fixed limit is still read, by the first scan and by the last
step. A value split into array items, which only its parsed reading joins, sits 70 levels down in a message,
in tool-call arguments (chat and Responses); none of it may reach the Gemini emulator. JSON too deep for
Python's parser to read at all is refused (400), never sent unread."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from plugins.platform.errors import GatewayError
from plugins.policy.outgoing import gemini_texts, sent_texts
from plugins.policy.privacy_guard import check_cloud_body
from tests.helpers import chat_bodies, gemini_calls
from tests.test_privacy_leaks import assert_not_leaked

# Each half alone is no IBAN, nor is the raw JSON text (quotes, commas and `\n` escapes between the groups):
# only the values the JSON holds, read together, spell it.
HALVES = ["ES91\n2100\n0418", "4502\n0005\n1332"]
TOOL = {"type": "function", "function": {"name": "pay", "description": "Pay", "parameters": {"type": "object"}}}


def nested(value, levels: int):
    """`value` inside `levels` alternating lists and objects."""
    for level in range(levels):
        value = {"k": [value]} if level % 2 else [value]
    return value


def deep_json(levels: int = 70) -> str:
    return json.dumps(nested(HALVES, levels))


def post(gateway, path: str, body: dict, action: str = "escalate"):
    return httpx.post(gateway.url(path), headers=gateway.auth, timeout=120,
                      json={"model": "auto", "privacy_mode": "flexible", "sensitive_data": action, **body})


def test_the_raw_text_alone_holds_no_value():
    """The test's premise: the split value is found only by reading the parsed JSON (a test that can fail)."""
    from plugins.policy.detect import find_sensitive

    assert find_sensitive([deep_json()]) == []
    assert find_sensitive(sent_texts({"messages": [{"role": "user", "content": deep_json()}]}))


@pytest.mark.parametrize("action", ["escalate", "redact"])
def test_json_nested_70_levels_in_a_message_is_read(gateway, ollama, gemini, action):
    response = post(gateway, "/v1/chat/completions", {"messages": [{"role": "user", "content": deep_json()}]}, action)
    assert response.status_code == 200, response.text
    assert response.headers["x-gateway-privacy"] == "strict"
    assert gemini_calls(gemini) == [] and chat_bodies(ollama)
    assert_not_leaked(gemini)


@pytest.mark.parametrize("arguments", [deep_json(), nested(HALVES, 70)], ids=["string", "object"])
def test_json_nested_70_levels_in_tool_call_arguments_is_read(gateway, ollama, gemini, arguments):
    messages = [{"role": "user", "content": "pay it"},
                {"role": "assistant", "content": None, "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "pay", "arguments": arguments}}]},
                {"role": "tool", "tool_call_id": "c1", "content": "done"}]
    response = post(gateway, "/v1/chat/completions", {"messages": messages, "tools": [TOOL]})
    assert response.status_code in (200, 400), response.text  # 400: the local chat model takes no tools
    assert gemini_calls(gemini) == []
    assert_not_leaked(gemini)


def test_json_nested_70_levels_in_responses_function_call_is_read(gateway, ollama, gemini):
    items = [{"role": "user", "content": "pay it"},
             {"type": "function_call", "call_id": "c1", "name": "pay", "arguments": deep_json()},
             {"type": "function_call_output", "call_id": "c1", "output": "done"}]
    response = post(gateway, "/v1/responses", {"input": items})
    assert response.status_code in (200, 400), response.text
    assert gemini_calls(gemini) == []
    assert_not_leaked(gemini)


@pytest.mark.parametrize("where", ["content", "arguments"])
def test_json_too_deep_to_parse_is_refused(gateway, ollama, gemini, where):
    """5000 levels: past Python's parser. What cannot be read is refused with a 400 that says so."""
    unreadable = "[" * 5000 + json.dumps(HALVES) + "]" * 5000
    messages = [{"role": "user", "content": unreadable}]
    if where == "arguments":
        messages = [{"role": "user", "content": "pay it"}, {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "pay", "arguments": unreadable}}]},
            {"role": "tool", "tool_call_id": "c1", "content": "done"}]
    response = post(gateway, "/v1/chat/completions", {"messages": messages})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "nesting_too_deep"
    assert "nests too deeply" in response.json()["error"]["message"]
    assert gemini.requests == [] and chat_bodies(ollama) == []


def test_the_last_step_reads_a_gemini_body_at_any_depth():
    """The Gemini body LiteLLM builds holds tool arguments as parsed objects (`functionCall.args`): the last
    step reads them at any depth, and refuses a string it cannot parse (the live path is covered above)."""
    route = {"metadata": {"gateway_route": {"privacy": "flexible", "scanned": True, "surface": "chat"}}}
    call = {"functionCall": {"name": "pay", "args": nested({"v": HALVES}, 70)}}
    body = {"contents": [{"role": "model", "parts": [call]}]}
    assert "ES91\n2100\n0418" in gemini_texts(body)
    with pytest.raises(GatewayError) as refused:
        asyncio.run(check_cloud_body(body, route))
    assert refused.value.status_code == 403
    unreadable = {"contents": [{"role": "user", "parts": [{"text": "[" * 5000 + "]" * 5000}]}]}
    with pytest.raises(GatewayError) as refused:
        asyncio.run(check_cloud_body(unreadable, route))
    assert refused.value.status_code == 403 and "unreadable-text" in str(refused.value)
    asyncio.run(check_cloud_body({"contents": [{"role": "user", "parts": [{"text": deep_json().replace("0", "x")}]}]},
                                 route))
