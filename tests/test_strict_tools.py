"""`tool_choice` on strict requests: Ollama has no such field, so the gateway emulates it (forced function,
`required`, `none`), streamed and not, and every attempt stays local."""

from __future__ import annotations

import openai
import pytest

from tests.helpers import chat_bodies

TOOLS = [{"type": "function", "function": {
    "name": name, "description": f"{name} of a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}
    for name in ("get_weather", "get_time")]
BOTH = [{"role": "user", "content": "In Madrid: get_weather or get_time, whichever you like."}]
FORCE_TIME = {"type": "function", "function": {"name": "get_time"}}


def tool_names(body: dict) -> list[str]:
    return [tool["function"]["name"] for tool in body.get("tools") or []]


def test_forced_function_sends_only_that_tool_and_gets_its_call(gateway, ollama, gemini):
    client = gateway.client()
    auto = client.chat.completions.create(model="vision-strict", messages=BOTH, tools=TOOLS)
    assert auto.choices[0].message.tool_calls[0].function.name == "get_weather"  # the model's own pick
    forced = client.chat.completions.create(model="vision-strict", messages=BOTH, tools=TOOLS, tool_choice=FORCE_TIME)
    assert [call.function.name for call in forced.choices[0].message.tool_calls] == ["get_time"]
    assert forced.choices[0].finish_reason == "tool_calls"
    bodies = chat_bodies(ollama)
    assert tool_names(bodies[0]) == ["get_weather", "get_time"] and tool_names(bodies[1]) == ["get_time"]
    assert all("tool_choice" not in body for body in bodies)  # not an Ollama field
    assert gemini.generate_count == 0


def test_forced_function_streams(gateway, ollama, gemini):
    stream = gateway.client().chat.completions.create(model="vision-strict", messages=BOTH, tools=TOOLS,
                                                      tool_choice=FORCE_TIME, stream=True)
    chunks = list(stream)
    calls = [call for chunk in chunks for choice in chunk.choices for call in choice.delta.tool_calls or []]
    assert [call.function.name for call in calls if call.function.name] == ["get_time"]
    assert [choice.finish_reason for chunk in chunks for choice in chunk.choices if choice.finish_reason] == \
        ["tool_calls"]
    [body] = chat_bodies(ollama)
    assert body["stream"] is False and tool_names(body) == ["get_time"]  # answer checked before the stream starts
    assert gemini.generate_count == 0


def test_required_retries_once_when_the_model_answers_in_text(gateway, ollama, gemini):
    client = gateway.client()
    ollama.ignore_tools_next(1)
    answer = client.chat.completions.create(model="vision-strict", messages=BOTH, tools=TOOLS, tool_choice="required")
    assert answer.choices[0].message.tool_calls[0].function.name == "get_weather"
    bodies = chat_bodies(ollama)
    assert len(bodies) == 2 and all(tool_names(body) == ["get_weather", "get_time"] for body in bodies)
    assert gemini.generate_count == 0


@pytest.mark.parametrize("stream", [False, True])
def test_required_twice_ignored_is_a_clear_502(gateway, ollama, gemini, stream):
    client = gateway.client().with_options(max_retries=0)
    ollama.ignore_tools_next(5)
    with pytest.raises(openai.InternalServerError) as failed:
        result = client.chat.completions.create(model="vision-strict", messages=BOTH, tools=TOOLS,
                                                tool_choice="required", stream=stream)
        list(result) if stream else None
    assert failed.value.status_code == 502
    message = failed.value.message
    assert "answered with text instead of a tool call" in message and "tool_choice 'required'" in message
    assert not message.startswith("litellm."), message
    assert len(chat_bodies(ollama)) == 2  # one retry, no more
    assert gemini.generate_count == 0


def test_forced_function_called_otherwise_is_refused(gateway, ollama, gemini):
    client = gateway.client().with_options(max_retries=0)
    ollama.ignore_tools_next(5)
    with pytest.raises(openai.InternalServerError) as failed:
        client.chat.completions.create(model="vision-strict", messages=BOTH, tools=TOOLS, tool_choice=FORCE_TIME)
    assert "a call of 'get_time'" in failed.value.message
    assert len(chat_bodies(ollama)) == 2 and gemini.generate_count == 0


def test_none_sends_no_tools(gateway, ollama, gemini):
    answer = gateway.client().chat.completions.create(model="vision-strict", messages=BOTH, tools=TOOLS,
                                                      tool_choice="none")
    assert not answer.choices[0].message.tool_calls and answer.choices[0].message.content
    [body] = chat_bodies(ollama)
    assert "tools" not in body and gemini.generate_count == 0


@pytest.mark.parametrize("choice, tools, message", [
    ({"type": "function", "function": {"name": "get_stock"}}, TOOLS, "'get_stock', which is not among the tools"),
    ("required", None, "tool_choice needs tools"),
])
def test_impossible_tool_choice_is_400(gateway, ollama, gemini, choice, tools, message):
    extra = {"tools": tools} if tools else {}
    with pytest.raises(openai.BadRequestError) as refused:
        gateway.client().chat.completions.create(model="vision-strict", messages=BOTH, tool_choice=choice, **extra)
    assert message in refused.value.message and not refused.value.message.startswith("litellm.")
    assert chat_bodies(ollama) == [] and gemini.generate_count == 0
