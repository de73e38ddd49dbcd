"""Ollama through LiteLLM: OpenAI's penalties as Ollama's own options, `tool_choice` emulated
(plugins.backends.tool_choice), and model info looked up once.

LiteLLM sends `frequency_penalty` to Ollama as `repeat_penalty`, a multiplier around 1.0 where values
below 1 favour repetition ("repeat less" would become "repeat more"), and drops `presence_penalty`.
Ollama has native `frequency_penalty` and `presence_penalty` options (api/types.go) on OpenAI's scale,
so they pass through as they are.

LiteLLM also asks Ollama's `/api/show` for model info on every cost calculation, synchronously on the
event loop and under the group's name ("chat-strict"), which Ollama does not know. Here a group name
resolves to the Ollama model it serves, and each model is looked up once (LiteLLM does that at start).
"""

from __future__ import annotations

import functools
import json
from typing import Any

import litellm
from litellm.llms.ollama import common_utils
from litellm.llms.ollama.chat.transformation import OllamaChatConfig

from plugins.backends.tool_choice import RULE_KEY, apply_tool_choice, check_answer
from plugins.platform.settings import full_config

PENALTIES = ("frequency_penalty", "presence_penalty")
LiteLLMOllamaModelInfo = common_utils.OllamaModelInfo  # taken before install_ollama_backend() replaces it


class OllamaChatWithPenalties(OllamaChatConfig):
    """LiteLLM's `ollama_chat` config, with the penalties mapped to Ollama's native options."""

    def get_supported_openai_params(self, model: str) -> list:
        return [*super().get_supported_openai_params(model), "presence_penalty"]

    def map_openai_params(self, non_default_params: dict, optional_params: dict, model: str,
                          drop_params: bool) -> dict:
        penalties = {name: non_default_params.pop(name) for name in PENALTIES if name in non_default_params}
        choice = non_default_params.get("tool_choice")  # LiteLLM drops it: Ollama has no such field
        mapped = super().map_openai_params(non_default_params, optional_params, model, drop_params)
        mapped.update(penalties)
        apply_tool_choice(choice, mapped, model)
        return mapped

    def transform_request(self, model: str, messages: list, optional_params: dict, litellm_params: dict,
                          headers: dict) -> dict:
        rule = optional_params.pop(RULE_KEY, None)  # every other optional param becomes an Ollama option
        if rule:
            litellm_params[RULE_KEY] = rule  # LiteLLM hands the same dict to transform_response
        return super().transform_request(model, messages, optional_params, litellm_params, headers)

    def transform_response(self, model: str, raw_response: Any, model_response: Any, logging_obj: Any,
                           request_data: dict, messages: list, optional_params: dict, litellm_params: dict,
                           encoding: Any, api_key: str | None = None, json_mode: bool | None = None) -> Any:
        response = super().transform_response(model, raw_response, model_response, logging_obj, request_data,
                                              messages, optional_params, litellm_params, encoding, api_key,
                                              json_mode)
        check_answer(litellm_params.get(RULE_KEY), response, model)
        return response

    def sign_request(self, headers: dict, optional_params: dict, request_data: dict, api_base: str,
                     api_key: str | None = None, model: str | None = None, stream: bool | None = None,
                     fake_stream: bool | None = None) -> tuple[dict, bytes | None]:
        """A fake stream is one unstreamed call; LiteLLM then drops `stream`, which Ollama reads as true."""
        if fake_stream:
            return headers, json.dumps({**request_data, "stream": False}).encode()
        return super().sign_request(headers, optional_params, request_data, api_base, api_key, model, stream,
                                    fake_stream)


def ollama_model_name(model: str) -> str:
    """The Ollama model behind `model`: a group name resolves to its first Ollama deployment's model."""
    for deployment in full_config().get("model_list") or []:
        served = str((deployment.get("litellm_params") or {}).get("model", ""))
        if deployment.get("model_name") == model and served.startswith(("ollama_chat/", "ollama/")):
            return served
    return model


@functools.lru_cache(maxsize=64)
def _model_info(model: str, api_base: str | None, api_key: str | None) -> dict | None:
    return LiteLLMOllamaModelInfo().get_model_info(model, api_base=api_base, api_key=api_key)


class OllamaModelInfoOnce(LiteLLMOllamaModelInfo):
    """LiteLLM's Ollama model info, by the real model name, asked of Ollama once per model."""

    def get_model_info(self, model: str, api_base: str | None = None, api_key: str | None = None) -> dict | None:
        info = _model_info(ollama_model_name(model), api_base, api_key)
        return dict(info) if info is not None else None


@functools.lru_cache(maxsize=1)
def install_ollama_backend() -> None:
    """LiteLLM looks its provider classes up on their modules at call time; point them at ours."""
    litellm.OllamaChatConfig = OllamaChatWithPenalties  # type: ignore[misc]
    common_utils.OllamaModelInfo = OllamaModelInfoOnce  # type: ignore[misc]
