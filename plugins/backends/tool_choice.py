"""OpenAI's `tool_choice` for Ollama, which has no such field (LiteLLM drops it): emulated, not ignored.

instructor, pydantic-ai and LlamaIndex send `required` or a forced function and rely on getting a
tool call back. On strict (Ollama) requests:

- `none`: no tools are sent, so the model cannot call one;
- a forced function `{"type": "function", "function": {"name": ...}}`: only that tool is sent, and the
  answer must be a call of it;
- `required`: the tools are sent, and the answer must be a tool call.

An answer that breaks the rule is a 502 that LiteLLM's router retries once (`num_retries = 1`); the
second miss reaches the client as that 502, saying what the model did instead. To check the answer
before a stream starts, a streamed request with such a rule is asked of Ollama unstreamed and replayed
to the client as a stream (LiteLLM's fake stream).
"""

from __future__ import annotations

from typing import Any

import litellm

RULE_KEY = "gateway_tool_choice"  # carried in optional_params, then litellm_params; never sent to Ollama
RETRIES = 1


def _function_names(tools: list[Any]) -> list[str]:
    return [str((tool.get("function") or {}).get("name") or "") for tool in tools if isinstance(tool, dict)]


def forced_name(choice: Any) -> str | None:
    """The function a `tool_choice` forces (OpenAI's object form, or the legacy `{"name": ...}`), else None."""
    if not isinstance(choice, dict):
        return None
    function = choice["function"] if isinstance(choice.get("function"), dict) else choice
    name = function.get("name")
    return name if isinstance(name, str) and name else None


def apply_tool_choice(choice: Any, optional_params: dict[str, Any], model: str) -> None:
    """Shape the tools Ollama receives for `choice`, and note the rule its answer must follow."""
    if choice is None or choice == "auto":
        return
    tools = optional_params.get("tools") or []
    if choice == "none":
        optional_params.pop("tools", None)
        return
    if not tools:
        raise _bad_request("tool_choice needs tools: send `tools` with it, or drop tool_choice.", model)
    name = forced_name(choice)
    if choice == "required":
        optional_params[RULE_KEY] = {"required": True}
    elif name is not None:
        kept = [tool for tool, tool_name in zip(tools, _function_names(tools), strict=True) if tool_name == name]
        if not kept:
            raise _bad_request(f"tool_choice names the function {name!r}, which is not among the tools "
                               f"({', '.join(_function_names(tools))}).", model)
        optional_params["tools"] = kept
        optional_params[RULE_KEY] = {"required": True, "name": name}
    else:
        raise _bad_request(f"tool_choice must be 'none', 'auto', 'required' or a function, got {choice!r}.", model)
    if optional_params.get("stream"):
        optional_params["fake_stream"] = True  # checked whole before the client's stream starts


def check_answer(rule: dict[str, Any] | None, response: Any, model: str) -> None:
    """Raise a retryable 502 when the answer is not the tool call the rule asks for."""
    if not rule:
        return
    message = response.choices[0].message if getattr(response, "choices", None) else None
    calls = [call.function.name for call in (getattr(message, "tool_calls", None) or [])]
    wanted = rule.get("name")
    if calls and (wanted is None or all(name == wanted for name in calls)):
        return
    what = f"called {', '.join(calls)}" if calls else "answered with text instead of a tool call"
    asked = f"a call of {wanted!r}" if wanted else "a tool call (tool_choice 'required')"
    error = litellm.BadGatewayError(message="", llm_provider="ollama_chat", model=model, num_retries=RETRIES)
    error.message = (f"The local model {what}; the request asked for {asked}. Ollama cannot force a tool call, so "
                     "the gateway checks the answer: it was asked twice and did not comply.")
    raise error


def _bad_request(message: str, model: str) -> Exception:
    error = litellm.BadRequestError(message="", model=model, llm_provider="ollama_chat")
    error.message = message
    return error
