"""The seed's embedding routes, served through LiteLLM's own `/v1/embeddings` pipeline.

`POST /v1/embeddings/text|image|audio` authenticate with LiteLLM's `user_api_key_auth`, turn
the seed request into an OpenAI embeddings body and hand it to the proxy's `embeddings` handler
(the function behind `/v1/embeddings`). So one code path does key checks, model access, rate
limits, budgets, hooks, spend logging and error mapping for both APIs; these routes only
translate the request and reshape the answer to `{"model", "dimensions", "embedding(s)"}`.

Before auth runs, a dependency records the model group in the request's parsed body, so
LiteLLM's model-access checks see the same model a `/v1/embeddings` call would name.
"""

import base64
import json
from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.routing import APIRoute
from litellm.proxy._types import ProxyException, UserAPIKeyAuth
from litellm.proxy.auth.user_api_key_auth import user_api_key_auth
from litellm.proxy.common_utils.http_parsing_utils import safe_set_request_parsed_body
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException
from starlette.requests import ClientDisconnect
from starlette.types import Message

from embedding_server import EmbeddingError, InvalidInput
from embedding_server.schemas import SeedEmbeddingResponse, TextEmbeddingRequest, parse_bool, seed_response
from plugins.embeddings_provider import get_engine

FORM_SLACK_BYTES = 64 * 1024  # multipart boundaries and small fields around the file
AuthorizedKey = Annotated[UserAPIKeyAuth, Depends(user_api_key_auth)]  # LiteLLM's own authentication


class _BodyTooLarge(Exception):
    pass


def _error(status: int, message: str, param: str | None = None) -> ProxyException:
    """An error in LiteLLM's OpenAI-style envelope, answered by the proxy's own handler."""
    return ProxyException(message=message, type="invalid_request_error" if status < 500 else "api_error",
                          param=param, code=status)


def seed_group(modality: str) -> str:
    """The model group a seed route uses (gateway.embeddings.seed_routes)."""
    group = get_engine().settings.seed_routes.get(modality)
    if not group:
        raise _error(404, f"No model group for /v1/embeddings/{modality}: "
                          f"set gateway.embeddings.seed_routes.{modality}.")
    return group


async def _json_body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise _error(400, f"Body is not valid JSON: {error}.") from None
    if not isinstance(body, dict):
        raise _error(400, 'Body must be a JSON object such as {"text": "..."}.')
    return body


async def text_group(request: Request) -> str:
    """Runs before auth: the text route's model group (`model` field, else the configured default)."""
    try:
        requested = json.loads(await request.body() or b"{}").get("model")
    except (json.JSONDecodeError, UnicodeDecodeError, AttributeError):
        requested = None
    group = requested if isinstance(requested, str) and requested else seed_group("text")
    safe_set_request_parsed_body(request, {"model": group})
    return group


def upload_group(modality: str) -> Callable[[Request], Awaitable[str]]:
    async def group_for_upload(request: Request) -> str:
        """Runs before auth: the upload's model group, without reading the (large) body."""
        group = seed_group(modality)
        safe_set_request_parsed_body(request, {"model": group})
        return group

    return group_for_upload


async def read_upload(request: Request) -> tuple[bytes, dict[str, str]]:
    """The multipart `file` (size-limited while it streams in) and the other form fields."""
    limit = get_engine().settings.max_item_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + FORM_SLACK_BYTES:
        raise _error(413, f"Upload of {declared} bytes exceeds the {limit}-byte limit per input.")
    received = 0
    receive = request.receive

    async def limited_receive() -> Message:
        nonlocal received
        message = await receive()
        received += len(message.get("body", b""))
        if received > limit + FORM_SLACK_BYTES:
            raise _BodyTooLarge
        return message

    try:
        form = await Request(request.scope, limited_receive).form(max_files=1, max_fields=16)
    except _BodyTooLarge:
        raise _error(413, f"Upload exceeds the {limit}-byte limit per input.") from None
    except (MultiPartException, ClientDisconnect, ValueError, AssertionError) as error:
        raise _error(400, f"Send the file as multipart/form-data field 'file' ({error or 'malformed body'}).") from None
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise _error(422, "Multipart field 'file' is required (the image or audio file).", param="file")
        data = await upload.read(limit + 1)
        if len(data) > limit:
            raise _error(413, f"File is larger than the {limit}-byte limit per input.", param="file")
        if not data:
            raise _error(400, "File is empty.", param="file")
        fields = {name: value for name, value in form.items() if isinstance(value, str)}
        return data, fields
    finally:
        await form.close()


async def embed_through_litellm(request: Request, response: Response, key: UserAPIKeyAuth,
                                body: dict[str, Any], single: bool) -> dict[str, Any]:
    """Run `body` through the proxy's `/v1/embeddings` handler and reshape its answer."""
    from litellm.proxy import proxy_server

    safe_set_request_parsed_body(request, body)
    result = await proxy_server.embeddings(request=request, fastapi_response=response, user_api_key_dict=key)
    payload = result if isinstance(result, dict) else result.model_dump()
    vectors = [item["embedding"] for item in payload.get("data") or []]
    return seed_response(body["model"], vectors, single, payload.get("usage"))


async def embed_text(request: Request, response: Response, model: Annotated[str, Depends(text_group)],
                     key: AuthorizedKey) -> dict[str, Any]:
    """Embed one text or a list of texts (JSON `{"text": ..., "normalize": true, "model": optional}`)."""
    body = await _json_body(request)
    if "text" not in body:
        raise _error(400, 'Field "text" is required (a string or a list of strings).', param="text")
    try:
        normalize = parse_bool(body.get("normalize"), "normalize", True)
    except InvalidInput as error:
        raise _error(400, error.message, param="normalize") from None
    openai_body = {"model": model, "input": body["text"], "modality": "text", "normalize": normalize,
                   "encoding_format": "float"}
    return await embed_through_litellm(request, response, key, openai_body, single=isinstance(body["text"], str))


def upload_route(modality: str) -> Callable[..., Awaitable[dict[str, Any]]]:
    # Annotations are evaluated here (no `from __future__ import annotations`), so FastAPI sees this closure's group.
    group = Annotated[str, Depends(upload_group(modality))]

    async def embed_upload(request: Request, response: Response, model: group, key: AuthorizedKey) -> dict[str, Any]:
        data, fields = await read_upload(request)
        try:
            normalize = parse_bool(fields.get("normalize"), "normalize", True)
        except EmbeddingError as error:
            raise _error(400, error.message, param="normalize") from None
        openai_body = {"model": model, "input": [base64.b64encode(data).decode("ascii")], "modality": modality,
                       "normalize": normalize, "encoding_format": "float"}
        return await embed_through_litellm(request, response, key, openai_body, single=True)

    embed_upload.__doc__ = f"Embed one {modality} file (multipart field `file`; optional field `normalize`)."
    return embed_upload


async def list_embedding_models(key: AuthorizedKey) -> dict[str, Any]:
    """The embedding models: modality, dimensions, device, dtype, whether loaded, batching counters."""
    return {"object": "list", "data": get_engine().describe()}


def embedding_routes() -> list[APIRoute]:
    """The seed routes, placed ahead of LiteLLM's by `plugins.surfaces.routes`."""
    tags: list[str | Enum] = ["embeddings"]
    text_doc = {"requestBody": {"content": {"application/json": {"schema": TextEmbeddingRequest.model_json_schema()}}}}
    upload_doc = {"requestBody": {"content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["file"],
        "properties": {"file": {"type": "string", "format": "binary"}, "normalize": {"type": "boolean"}},
    }}}}}
    return [
        APIRoute("/v1/embeddings/text", embed_text, methods=["POST"], tags=tags, response_model=SeedEmbeddingResponse,
                 response_model_exclude_none=True, openapi_extra=text_doc, summary="Text embeddings (seed API)"),
        *(
            APIRoute(f"/v1/embeddings/{modality}", upload_route(modality), methods=["POST"], tags=tags,
                     response_model=SeedEmbeddingResponse, response_model_exclude_none=True,
                     openapi_extra=upload_doc, summary=f"{modality.capitalize()} embeddings (seed API)")
            for modality in ("image", "audio")
        ),
        APIRoute("/v1/embeddings/models", list_embedding_models, methods=["GET"], tags=tags,
                 summary="Embedding models and their state"),
    ]
