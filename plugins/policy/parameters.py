"""OpenAI parameters a destination cannot honour are refused with a 400 naming them, never dropped.

A parameter at its default value is accepted everywhere. What each backend does with the rest is
in docs/COMPATIBILITY.md.
"""

from __future__ import annotations

from typing import Any

from plugins.platform.errors import GatewayError
from plugins.platform.settings import gateway_settings

BOTH = ("strict", "flexible")
PENALTIES = "Gemini 2.5 answers 'Penalty is not enabled' (local models take them: privacy_mode=strict)"
# parameter -> (values that mean "unset", privacy classes that cannot honour any other value, why)
UNSUPPORTED: dict[str, tuple[tuple[Any, ...], tuple[str, ...], str]] = {
    "n": ((None, 1), ("strict",), "local models return one choice per request"),
    "logprobs": ((None, False), ("strict",), "local models served through Ollama return no log probabilities"),
    "top_logprobs": ((None, 0), BOTH, "neither backend returns top log probabilities"),
    "presence_penalty": ((None, 0), ("flexible",), PENALTIES),
    "frequency_penalty": ((None, 0), ("flexible",), PENALTIES),
    "logit_bias": ((None, {}), BOTH, "neither backend takes token biases (their tokenizers are not OpenAI's)"),
    "audio": ((None,), BOTH, "no backend of this gateway produces audio output"),
    "modalities": ((None, ["text"]), BOTH, "only text output is produced"),
    "web_search_options": ((None,), BOTH, "the gateway offers no web search"),
    "prediction": ((None,), BOTH, "predicted outputs are not supported by these backends"),
    "store": ((None, False), BOTH, "the gateway stores no completions"),
}


FORMAT_TYPES = ("text", "json_object", "json_schema")


def check_response_format(value: Any, param: str = "response_format") -> None:
    """OpenAI's `response_format` is an object whose type is text, json_object or json_schema (with a
    `json_schema.schema`); anything else is OpenAI's 400 here (LiteLLM would answer 500)."""
    if value is None:
        return
    kind = value.get("type") if isinstance(value, dict) else None
    if kind not in FORMAT_TYPES:
        got = f"type {kind!r}" if isinstance(value, dict) else f"{type(value).__name__} {value!r}"[:80]
        raise GatewayError(400, f"Invalid {param}: expected an object with type one of {', '.join(FORMAT_TYPES)} "
                           f"(e.g. {{\"type\": \"json_object\"}}); got {got}.", param=param)
    schema = value.get("json_schema")
    if kind == "json_schema" and not (isinstance(schema, dict) and isinstance(schema.get("schema", {}), dict)
                                      and isinstance(schema.get("name", ""), str)):
        raise GatewayError(400, f"Invalid {param}.json_schema: expected an object with 'name' and 'schema'.",
                           param=f"{param}.json_schema")


def check_chat_parameters(data: dict[str, Any], privacy: str) -> None:
    """400 for a chat parameter the chosen privacy class cannot honour."""
    check_response_format(data.get("response_format"))
    for name, (unset, classes, reason) in UNSUPPORTED.items():
        value = data.get(name)
        if privacy in classes and value not in unset:
            raise GatewayError(400, f"Parameter {name}={value!r} is not supported for privacy_mode={privacy}: "
                               f"{reason}. Leave it unset (docs/COMPATIBILITY.md).", param=name,
                               code="unsupported_parameter")


def limit_thinking(data: dict[str, Any]) -> None:
    """Gemini 2.5 thinks by default and its thinking counts against the output limit, so a short
    `max_tokens` would end in an empty reply. When a client sets a limit and no reasoning effort, the
    limit goes to the visible answer: `gateway.gemini.thinking_with_max_tokens` (default "disable";
    "keep" leaves the model's default)."""
    effort = gateway_settings("gemini")["thinking_with_max_tokens"]
    limited = any(data.get(name) for name in ("max_tokens", "max_completion_tokens", "max_output_tokens"))
    if effort == "keep" or not limited or data.get("reasoning_effort") or data.get("thinking"):
        return
    if "max_output_tokens" in data:  # Responses API
        data.setdefault("reasoning", {"effort": effort})
    else:
        data["reasoning_effort"] = effort


def _is_token_array(value: Any) -> bool:
    if isinstance(value, list) and value and all(isinstance(item, int) and not isinstance(item, bool)
                                                 for item in value):
        return True
    return isinstance(value, list) and any(_is_token_array(item) for item in value if isinstance(item, list))


def refuse_token_arrays(data: dict[str, Any]) -> None:
    """Token arrays are refused (400): LiteLLM would decode them with OpenAI's tokenizer, which is not the
    models' own. Checked on the body as the client sent it, before LiteLLM touches it."""
    if _is_token_array(data.get("input")):
        raise GatewayError(400, "Token arrays are not accepted: these models use their own tokenizers, not "
                           "OpenAI's. Send the text itself.", param="input")


def check_embedding_parameters(data: dict[str, Any], dimensions: int | None) -> None:
    """Token arrays and `dimensions` other than the model's own are refused (400)."""
    refuse_token_arrays(data)
    requested = data.get("dimensions")
    if requested is not None and requested != dimensions:
        raise GatewayError(400, f"dimensions={requested!r} is not supported: this model returns {dimensions}-d "
                           "vectors. Leave it unset.", param="dimensions", code="unsupported_parameter")
