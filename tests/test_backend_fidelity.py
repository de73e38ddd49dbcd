"""What real backends do that a happy path never shows: Gemini's thought signatures across tool turns,
blocked and filter-stopped replies, Ollama's native penalty options, an Ollama error after the 200,
and no model-info lookups per request."""

from __future__ import annotations

import json
import time

import httpx
import openai
import pytest

from tests.emulators import Fault
from tests.helpers import camel, chat_bodies, gemini_calls

WEATHER = [{"type": "function", "function": {
    "name": "get_weather", "description": "Weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]


def _events(response: httpx.Response) -> list[str]:
    return [line[6:] for line in response.text.splitlines() if line.startswith("data: ")]


def test_thought_signature_survives_a_tool_turn(gateway, ollama, gemini):
    """Gemini signs a thinking model's function call; the next turn must hand the signature back
    (Gemini 3 refuses the turn without it, 2.5 loses its reasoning)."""
    client = gateway.client()
    question = {"role": "user", "content": "Use get_weather for Paris"}
    first = client.chat.completions.create(model="auto", messages=[question], tools=WEATHER,
                                           extra_body={"privacy_mode": "flexible"})
    call = first.choices[0].message.tool_calls[0]
    assert call.function.name == "get_weather" and first.choices[0].finish_reason == "tool_calls"
    replay = [question, first.choices[0].message.model_dump(exclude_none=True),
              {"role": "tool", "tool_call_id": call.id, "content": '{"temp_c": 21}'}]
    second = client.chat.completions.create(model="auto", messages=replay, tools=WEATHER,
                                            extra_body={"privacy_mode": "flexible"})
    assert second.choices[0].message.content
    contents = camel(gemini_calls(gemini)[-1].body)["contents"]
    calls = [part for content in contents for part in content["parts"] if "functionCall" in part]
    assert calls and all(part.get("thoughtSignature") for part in calls)
    assert gemini.signatures_missing == 0


def test_thought_signature_survives_a_streamed_tool_turn(gateway, ollama, gemini):
    client = gateway.client()
    question = {"role": "user", "content": "Use get_weather for Oslo"}
    stream = client.chat.completions.create(model="auto", messages=[question], tools=WEATHER, stream=True,
                                            extra_body={"privacy_mode": "flexible"})
    calls = [call for chunk in stream for choice in chunk.choices for call in choice.delta.tool_calls or []]
    assert calls and calls[0].function.name == "get_weather"
    assistant = {"role": "assistant", "content": None, "tool_calls": [
        {"id": calls[0].id, "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}]}
    replay = [question, assistant, {"role": "tool", "tool_call_id": calls[0].id, "content": "sunny"}]
    client.chat.completions.create(model="auto", messages=replay, tools=WEATHER,
                                   extra_body={"privacy_mode": "flexible"})
    contents = camel(gemini_calls(gemini)[-1].body)["contents"]
    assert all(part.get("thoughtSignature") for content in contents for part in content["parts"]
               if "functionCall" in part)
    assert gemini.signatures_missing == 0


def test_a_blocked_prompt_is_a_content_filter_refusal(gateway, ollama, gemini):
    gemini.block_next_prompt("PROHIBITED_CONTENT")
    reply = gateway.client().chat.completions.create(model="auto", messages=[{"role": "user", "content": "x"}],
                                                     extra_body={"privacy_mode": "flexible"})
    choice = reply.choices[0]
    assert choice.finish_reason == "content_filter"
    assert "PROHIBITED_CONTENT" in (choice.message.refusal or "")


def test_a_recitation_stop_keeps_the_text_and_says_why(gateway, ollama, gemini):
    gemini.stop_next("RECITATION")
    reply = gateway.client().chat.completions.create(
        model="auto", messages=[{"role": "user", "content": "recite the poem in full please now"}],
        extra_body={"privacy_mode": "flexible"})
    choice = reply.choices[0]
    assert choice.finish_reason == "content_filter"
    assert choice.message.content and choice.message.content.startswith("gemini-2.5-flash says:")
    assert "RECITATION" in (choice.message.refusal or "")


@pytest.mark.parametrize("stop", ["block", "stop"])
def test_a_streamed_filter_stop_says_why(gateway, ollama, gemini, stop):
    gemini.block_next_prompt("SAFETY") if stop == "block" else gemini.stop_next("SAFETY")
    response = httpx.post(gateway.url("/v1/chat/completions"), headers=gateway.auth, timeout=60, json={
        "model": "auto", "privacy_mode": "flexible", "stream": True,
        "messages": [{"role": "user", "content": "one two three four"}]})
    chunks = [json.loads(event) for event in _events(response)[:-1]]
    choices = [choice for chunk in chunks for choice in chunk["choices"]]
    assert any(choice.get("finish_reason") == "content_filter" for choice in choices)
    assert "SAFETY" in "".join(choice["delta"].get("refusal") or "" for choice in choices)
    text = "".join(choice["delta"].get("content") or "" for choice in choices)
    assert text.startswith("gemini-2.5-flash says:") if stop == "stop" else text == ""


def test_ollama_penalties_use_its_native_options(gateway, ollama, gemini):
    """"Repeat less" must not become Ollama's repeat_penalty below 1 ("repeat more")."""
    gateway.client().chat.completions.create(model="auto", messages=[{"role": "user", "content": "hi"}],
                                             frequency_penalty=0.5, presence_penalty=0.25,
                                             extra_body={"privacy_mode": "strict"})
    options = chat_bodies(ollama)[-1]["options"]
    assert options["frequency_penalty"] == 0.5 and options["presence_penalty"] == 0.25
    assert "repeat_penalty" not in options
    assert gemini_calls(gemini) == []


def test_an_ollama_error_after_the_200_ends_the_stream_cleanly(gateway, ollama, gemini):
    ollama.fail_next_stream("an error was encountered while running the model: CUDA error: out of memory")
    response = httpx.post(gateway.url("/v1/chat/completions"), headers=gateway.auth, timeout=60, json={
        "model": "auto", "privacy_mode": "strict", "stream": True,
        "messages": [{"role": "user", "content": "tell me a long story"}]})
    events = _events(response)
    error = json.loads(events[-1] if events[-1] != "[DONE]" else events[-2])["error"]
    assert "out of memory" in error["message"]
    assert "KeyError" not in response.text and "Traceback" not in response.text
    assert str(error.get("code")) in ("500", "502", "503")
    assert gemini_calls(gemini) == []


def test_an_ollama_runner_crash_is_a_500(gateway, ollama, gemini):
    ollama.add_fault(Fault(path_pattern="/api/chat", status=500, times=5,
                           body={"error": "llama runner process has terminated: exit status 2"}))
    with pytest.raises(openai.InternalServerError) as failed:
        gateway.client().chat.completions.create(model="auto", messages=[{"role": "user", "content": "hi"}],
                                                 extra_body={"privacy_mode": "strict"})
    assert "llama runner process has terminated" in str(failed.value)
    assert gemini_calls(gemini) == []


def test_no_model_info_lookups_per_request(gateway, ollama, gemini):
    """LiteLLM would ask Ollama's /api/show on each cost calculation, under the group's name."""
    for stream in (False, True, False, True):
        reply = gateway.client().chat.completions.create(model="auto", messages=[{"role": "user", "content": "hi"}],
                                                         stream=stream, extra_body={"privacy_mode": "strict"})
        list(reply) if stream else None
    time.sleep(1)  # a stream's cost is logged after its last chunk
    shows = [record.body for record in ollama.requests if record.path == "/api/show"]
    assert shows == [], shows


def test_a_strict_tool_turn_stays_local(gateway, ollama, gemini):
    """Ollama's documented tool flow (tool_calls, then a `tool` message) through the gateway, all local."""
    client = gateway.client()
    question = {"role": "user", "content": "Use get_weather for Lyon"}
    first = client.chat.completions.create(model="vision-strict", messages=[question], tools=WEATHER)
    call = first.choices[0].message.tool_calls[0]
    assert call.function.name == "get_weather" and first.choices[0].finish_reason == "tool_calls"
    replay = [question, first.choices[0].message.model_dump(exclude_none=True),
              {"role": "tool", "tool_call_id": call.id, "content": "11 degrees"}]
    second = client.chat.completions.create(model="vision-strict", messages=replay, tools=WEATHER)
    assert second.choices[0].message.content.startswith("qwen3-vl:8b says:")
    assert [message["role"] for message in chat_bodies(ollama)[-1]["messages"]] == ["user", "assistant", "tool"]
    assert gemini_calls(gemini) == []


def test_a_filter_stop_on_the_responses_api_keeps_the_text(gateway, ollama, gemini):
    """The Responses surface reads Gemini through the same parser: the partial text is kept, and the response
    is `incomplete` for `content_filter`, as OpenAI's spec words it."""
    gemini.stop_next("RECITATION")
    reply = gateway.client().responses.create(model="auto", input="recite one two three four five six",
                                              extra_body={"privacy_mode": "flexible"})
    assert reply.output_text.startswith("gemini-2.5-flash says:")
    assert reply.status == "incomplete" and reply.incomplete_details.reason == "content_filter"
    assert chat_bodies(ollama) == []


@pytest.mark.parametrize(("status", "google_status", "stream"), [
    (429, "RESOURCE_EXHAUSTED", True), (503, "UNAVAILABLE", True), (429, "RESOURCE_EXHAUSTED", False)])
def test_gemini_errors_read_as_gemini_said_them(gateway, ollama, gemini, status, google_status, stream):
    """No Python bytes repr of the body, no advice naming the proxy's other model groups."""
    body = {"error": {"code": status, "status": google_status, "message": "Try again later.", "details": [
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "9s"}]}}
    gemini.add_fault(Fault(path_pattern="[gG]enerateContent", status=status, body=body, times=10))
    response = httpx.post(gateway.url("/v1/chat/completions"), headers=gateway.auth, timeout=60, json={
        "model": "auto", "privacy_mode": "flexible", "stream": stream, "messages": [{"role": "user", "content": "x"}]})
    assert response.status_code == status and response.headers.get("retry-after") == "9"
    message = response.json()["error"]["message"]
    assert f"Gemini: Try again later. ({google_status})" in message
    assert "b'" not in message and "fallback" not in message.lower() and "ocr-strict" not in message
