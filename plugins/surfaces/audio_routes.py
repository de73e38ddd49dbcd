"""OpenAI `/v1/audio/transcriptions` and `/v1/audio/translations`, served by the local Whisper model.

LiteLLM's own audio routes would send the file to a provider; these replace them and never call
one. They authenticate with LiteLLM's `user_api_key_auth` (key, model access, budgets) after a
dependency has read the form and recorded its `model`, as the seed embedding routes do, then run
LiteLLM's rate limits and log each call as spend (plugins.surfaces.local_calls). Only model
groups of the `transcription_server` provider (e.g. `whisper-local`, listed in `/v1/models`) are
accepted; every other field OpenAI does not define is a 400, never silently dropped.
"""

from __future__ import annotations

import datetime
import math
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from fastapi.routing import APIRoute
from litellm.llms.custom_llm import CustomLLM
from litellm.proxy._types import UserAPIKeyAuth
from litellm.proxy.auth.user_api_key_auth import user_api_key_auth
from litellm.proxy.common_utils.http_parsing_utils import safe_set_request_parsed_body
from litellm.types.utils import TranscriptionResponse
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException
from starlette.requests import ClientDisconnect

from plugins.attachments.transcription import Options, Transcript, model_label, transcribe
from plugins.platform.errors import GatewayError
from plugins.platform.settings import full_config
from plugins.surfaces.local_calls import admit, deployment_price, log_success, release

PROVIDER = "transcription_server"
FORMATS = ("json", "text", "srt", "vtt", "verbose_json")
FIELDS = {"file", "model", "response_format", "prompt", "temperature", "timestamp_granularities[]",
          "timestamp_granularities", "stream", "language"}


class LocalTranscriptionProvider(CustomLLM):
    """Makes `transcription_server/<name>` a provider LiteLLM knows (so the group is listed and local).
    It serves nothing through LiteLLM: chat and embeddings never route to it, and its methods refuse."""


transcription_provider = LocalTranscriptionProvider()


def transcription_groups() -> list[str]:
    """Model groups served by the local Whisper model."""
    return [str(entry.get("model_name")) for entry in full_config().get("model_list") or []
            if str((entry.get("litellm_params") or {}).get("model", "")).startswith(PROVIDER + "/")]


async def audio_form(request: Request) -> AsyncIterator[FormData]:
    """Runs before auth (the request guard already checked the key from the headers): the form, with its
    `model` recorded where LiteLLM's model-access check reads it; its spooled file is closed afterwards."""
    if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        raise GatewayError(400, "Send the audio as multipart/form-data with fields 'file' and 'model'.", param="file")
    try:
        form = await request.form(max_files=1, max_fields=16)
    except (MultiPartException, ClientDisconnect, ValueError, AssertionError) as error:
        raise GatewayError(400, f"Malformed multipart body: {error or 'truncated'}.", param="file") from None
    model = form.get("model")
    safe_set_request_parsed_body(request, {"model": model if isinstance(model, str) else ""})
    try:
        yield form
    finally:
        await form.close()


def _field(form: FormData, name: str, default: str = "") -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else default


def _options(form: FormData, task: str) -> tuple[Options, str]:
    accepted = FIELDS if task == "transcribe" else FIELDS - {"language"}  # a translation's language is English
    unknown = sorted(set(form.keys()) - accepted)
    if unknown:
        raise GatewayError(400, f"Unsupported field(s) {', '.join(unknown)}; accepted: {', '.join(sorted(accepted))}.",
                           param=unknown[0])
    model, groups = _field(form, "model"), transcription_groups()
    if model not in groups:
        raise GatewayError(400, f"Model {model!r} is not a transcription model on this gateway; use "
                           f"{', '.join(groups) or '(none configured)'}.", param="model")
    response_format = _field(form, "response_format", "json") or "json"
    if response_format not in FORMATS:
        raise GatewayError(400, f"response_format must be one of {', '.join(FORMATS)}.", param="response_format")
    if _field(form, "stream").lower() in ("true", "1"):
        raise GatewayError(400, "stream is not supported by the local transcription model.", param="stream")
    granularities = {str(item) for name in ("timestamp_granularities[]", "timestamp_granularities")
                     for item in form.getlist(name)}
    if granularities - {"word", "segment"}:
        raise GatewayError(400, "timestamp_granularities takes 'word' and/or 'segment'.",
                           param="timestamp_granularities")
    temperature = None
    if _field(form, "temperature"):
        try:
            temperature = float(_field(form, "temperature"))
        except ValueError:
            temperature = -1.0
        if not 0 <= temperature <= 1:
            raise GatewayError(400, "temperature must be a number between 0 and 1.", param="temperature")
    return Options(language=_field(form, "language") or None, prompt=_field(form, "prompt") or None,
                   temperature=temperature, task=task, words="word" in granularities, use="api"), response_format


def _stamp(seconds: float, separator: str) -> str:
    millis = int(round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}{separator}{rest % 1000:03d}"


def _language_name(code: str) -> str:
    try:
        from transformers.models.whisper.tokenization_whisper import LANGUAGES

        return str(LANGUAGES.get(code, code))
    except ImportError:  # pragma: no cover - transformers is a dependency
        return code


def render(transcript: Transcript, response_format: str, task: str, words: bool) -> Response:
    """The answer in the requested format, as OpenAI's whisper-1 gives it."""
    segments = transcript.segments
    if response_format == "text":
        return PlainTextResponse(transcript.text + "\n")
    if response_format in ("srt", "vtt"):
        sep = "," if response_format == "srt" else "."
        cues = [f"{_stamp(s.start, sep)} --> {_stamp(s.end, sep)}\n{s.text.strip()}\n" for s in segments]
        if response_format == "srt":
            return PlainTextResponse("\n".join(f"{i}\n{cue}" for i, cue in enumerate(cues, start=1)))
        return PlainTextResponse("WEBVTT\n\n" + "\n".join(cues), media_type="text/vtt")
    usage = {"type": "duration", "seconds": math.ceil(transcript.duration)}
    if response_format == "json":
        return JSONResponse({"text": transcript.text, "usage": usage})
    body: dict[str, Any] = {
        "task": task, "language": _language_name(transcript.language), "duration": round(transcript.duration, 3),
        "text": transcript.text, "usage": usage,
        "segments": [{"id": i, "seek": int(s.start * 100), "start": round(s.start, 3), "end": round(s.end, 3),
                      "text": s.text, "tokens": list(s.tokens), "temperature": s.temperature,
                      "avg_logprob": s.avg_logprob, "compression_ratio": s.compression_ratio,
                      "no_speech_prob": s.no_speech_prob} for i, s in enumerate(segments)],
    }
    if words:
        body["words"] = [{"word": w.strip(), "start": round(start, 3), "end": round(end, 3)}
                         for s in segments for w, start, end in s.words]
    return JSONResponse(body)


def _audit(key: UserAPIKeyAuth, task: str, model: str, size: int, transcript: Transcript | None, started: float,
           error: Exception | None) -> None:
    from plugins.platform.audit import write_event

    local = {"transcribe": model_label(), "seconds": round(transcript.duration, 2) if transcript else None,
             "language": transcript.language if transcript else None}
    write_event({"task": task, "privacy_requested": "strict", "privacy_applied": "strict", "group": model,
                 "rule": f"model:{model}", "surface": "audio", "deployment": model_label(),
                 "key_alias": getattr(key, "key_alias", None),
                 "key_hash": (getattr(key, "token", None) or "")[:12] or None,
                 "attachments": [{"kind": "audio", "bytes": size, "placement": "local", "local": local}],
                 "status": "error" if error else "ok", "error_type": type(error).__name__ if error else None,
                 "latency_ms": round((time.monotonic() - started) * 1000, 1)})


async def _serve(request: Request, form: FormData, key: UserAPIKeyAuth, task: str) -> Response:
    from plugins.platform.metrics import record_route

    started, admitted_at = time.monotonic(), datetime.datetime.now()
    options, response_format = _options(form, task)
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise GatewayError(400, "Multipart field 'file' (the audio file) is required.", param="file")
    data = upload.file  # the spooled upload: transcribed a window at a time, never read whole
    size = data.seek(0, 2)
    if not size:
        raise GatewayError(400, "File is empty.", param="file")
    model = _field(form, "model")
    admitted = await admit(request, key, model, "atranscription")  # LiteLLM's rate limits and budget hooks
    record_route({"task": task, "privacy": "strict", "requested_privacy": "strict", "escalated": "",
                  "surface": "audio", "attachment_log": [{"kind": "audio", "bytes": size, "placement": "local"}]})
    try:
        transcript = await transcribe(data, options)
    except Exception as error:
        _audit(key, task, model, size, None, started, error)
        raise
    finally:
        await release(key)
    _audit(key, task, model, size, transcript, started, None)
    await log_success(admitted, "atranscription", TranscriptionResponse(text=transcript.text),
                      deployment_price(model, "second") * transcript.duration, admitted_at)
    response = render(transcript, response_format, task, options.words)
    response.headers.update({"x-gateway-task": task, "x-gateway-privacy": "strict", "x-gateway-group": model,
                             "x-gateway-model": model_label(), "x-gateway-attachments": "audio:local"})
    return response


Form = Annotated[FormData, Depends(audio_form)]
AuthorizedKey = Annotated[UserAPIKeyAuth, Depends(user_api_key_auth)]


async def create_transcription(request: Request, form: Form, key: AuthorizedKey) -> Response:
    """Transcribe an audio file on this machine (OpenAI's createTranscription)."""
    return await _serve(request, form, key, "transcribe")


async def create_translation(request: Request, form: Form, key: AuthorizedKey) -> Response:
    """Translate speech into English text on this machine (OpenAI's createTranslation)."""
    return await _serve(request, form, key, "translate")


def _form_doc(task: str) -> dict[str, Any]:
    properties = {"file": {"type": "string", "format": "binary"},
                  "model": {"type": "string", "example": "whisper-local"},
                  "response_format": {"type": "string", "enum": list(FORMATS)}, "prompt": {"type": "string"},
                  "temperature": {"type": "number"}}
    if task == "transcribe":
        properties["language"] = {"type": "string"}
    schema = {"type": "object", "required": ["file", "model"], "properties": properties}
    return {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": schema}}}}


def audio_routes() -> list[APIRoute]:
    """The routes, placed ahead of LiteLLM's by `plugins.surfaces.routes`."""
    return [
        APIRoute("/v1/audio/transcriptions", create_transcription, methods=["POST"], tags=["audio"],
                 openapi_extra=_form_doc("transcribe"), summary="Speech to text, on this machine"),
        APIRoute("/v1/audio/translations", create_translation, methods=["POST"], tags=["audio"],
                 openapi_extra=_form_doc("translate"), summary="Speech to English text, on this machine"),
    ]
