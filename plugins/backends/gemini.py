"""Gemini through LiteLLM: content-filter stops as OpenAI refusals that say why.

It also reads every request body LiteLLM builds for Gemini before it is sent (`install_cloud_body_check`).

LiteLLM turns a blocked prompt (`promptFeedback.blockReason`, no candidates) and a reply stopped by a
filter (`finishReason` SAFETY, RECITATION, ...) into `finish_reason: content_filter`, but drops the
reason, and for a non-streamed reply also the text generated before the stop. The gateway wraps
LiteLLM's two Gemini parsers (one reply, one stream chunk) so that `message.refusal` /
`delta.refusal` carries the reason and `content` keeps the partial text.
"""

from __future__ import annotations

import functools
from typing import Any

from litellm.llms.vertex_ai.gemini import vertex_and_google_ai_studio_gemini as gemini_llm
from litellm.llms.vertex_ai.gemini.vertex_and_google_ai_studio_gemini import (
    ModelResponseIterator,
    VertexGeminiConfig,
)

FLAGGED = VertexGeminiConfig().get_flagged_finish_reasons()


def _get(value: Any, name: str) -> Any:
    return value.get(name) if isinstance(value, dict) else getattr(value, name, None)


def filter_stop(body: Any) -> tuple[str, str] | None:
    """(reason, explanation) when Gemini blocked the prompt or a filter stopped the reply, else None."""
    feedback = _get(body, "promptFeedback") or {}
    if _get(feedback, "blockReason"):
        reason = str(_get(feedback, "blockReason"))
        return reason, str(_get(feedback, "blockReasonMessage") or "the prompt was blocked before any reply")
    for candidate in _get(body, "candidates") or []:
        reason = _get(candidate, "finishReason")
        if reason in FLAGGED:
            return str(reason), FLAGGED[reason].split(". NOTE")[0].rstrip(".")
    return None


def refusal_text(stop: tuple[str, str]) -> str:
    reason, explanation = stop
    return f"Gemini stopped this reply ({reason}): {explanation}."


def partial_text(body: Any) -> str | None:
    """The visible text Gemini generated before a filter stopped it (thoughts excluded)."""
    candidates = _get(body, "candidates") or []
    parts = _get(_get(candidates[0], "content") or {}, "parts") or [] if candidates else []
    text = "".join(_get(part, "text") or "" for part in parts if not _get(part, "thought"))
    return text or None


@functools.lru_cache(maxsize=1)
def install_refusals() -> None:
    """Wrap LiteLLM's Gemini reply and stream-chunk parsers, once per process."""
    parse_reply = VertexGeminiConfig._transform_google_generate_content_to_openai_model_response
    parse_chunk = ModelResponseIterator.chunk_parser

    @functools.wraps(parse_reply)
    def reply_with_refusal(self: Any, completion_response: Any, *args: Any, **kwargs: Any) -> Any:
        response = parse_reply(self, completion_response, *args, **kwargs)
        stop = filter_stop(completion_response)
        if stop:
            for choice in response.choices:
                choice.message.refusal = refusal_text(stop)
                choice.message.content = choice.message.content or partial_text(completion_response)
        return response

    @functools.wraps(parse_chunk)
    def chunk_with_refusal(self: Any, chunk: dict) -> Any:
        parsed = parse_chunk(self, chunk)
        stop = filter_stop(chunk)
        if stop and parsed is not None:
            for choice in parsed.choices:
                setattr(choice.delta, "refusal", refusal_text(stop))  # noqa: B010  (not a declared field)
        return parsed

    VertexGeminiConfig._transform_google_generate_content_to_openai_model_response = reply_with_refusal  # type: ignore[method-assign]
    ModelResponseIterator.chunk_parser = chunk_with_refusal  # type: ignore[method-assign]


@functools.lru_cache(maxsize=1)
def install_cloud_body_check() -> None:
    """Read every Gemini request body LiteLLM builds (chat, and Responses bridged to chat) just before it
    is sent: `privacy_guard.check_cloud_body` refuses one holding a value the policy did not account for."""
    from plugins.policy.privacy_guard import check_cloud_body, check_cloud_body_now

    build_async, build_sync = gemini_llm.async_transform_request_body, gemini_llm.sync_transform_request_body

    @functools.wraps(build_async)
    async def checked_async(*args: Any, **kwargs: Any) -> Any:
        body = await build_async(*args, **kwargs)
        await check_cloud_body(body, kwargs.get("litellm_params"))
        return body

    @functools.wraps(build_sync)
    def checked_sync(*args: Any, **kwargs: Any) -> Any:
        body = build_sync(*args, **kwargs)
        check_cloud_body_now(body, kwargs.get("litellm_params"))
        return body

    gemini_llm.async_transform_request_body = checked_async
    gemini_llm.sync_transform_request_body = checked_sync
