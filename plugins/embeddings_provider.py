"""LiteLLM provider `embedding_server`: `/v1/embeddings` served by the models in this process.

Registered in litellm_config.yaml under `litellm_settings.custom_provider_map`; a model group
whose `litellm_params.model` is `embedding_server/<name>` is embedded by the engine's model
`<name>` (a key of `gateway.embeddings.models`). LiteLLM's router, auth, hooks and spend tracking
wrap this exactly as they wrap any remote provider.

Errors become LiteLLM's own exception classes, which the proxy answers with the same status
(400, 404, 413, 429 + Retry-After, 500, 503). Errors that retrying cannot fix right away (a full
queue, missing weights) carry `num_retries = 0` so the router answers at once instead of
retrying an in-process model; the client has Retry-After for the queue.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any

import httpx
import litellm
from litellm.llms.custom_llm import CustomLLM
from litellm.types.utils import Embedding, EmbeddingResponse, Usage

from embedding_server import (
    EmbeddingEngine,
    EmbeddingError,
    EmbeddingOptions,
    QueueFull,
    encode_vector,
    parse_settings,
)
from plugins.platform.metrics import record
from plugins.platform.settings import gateway_settings

PROVIDER = "embedding_server"
OPTION_FIELDS = ("modality", "normalize", "encoding_format")


@functools.lru_cache(maxsize=1)
def get_engine() -> EmbeddingEngine:
    """The one engine of this process, built from `gateway.embeddings` of the running config."""
    return EmbeddingEngine(parse_settings(gateway_settings("embeddings")))


def request_options(optional_params: dict[str, Any], litellm_params: dict[str, Any] | None) -> EmbeddingOptions:
    """modality / normalize / encoding_format of the request.

    LiteLLM passes unknown body fields (modality, normalize) in `optional_params` but drops the
    OpenAI field `encoding_format` for custom providers (drop_params), so that one is read from
    the request body the proxy records in `litellm_params.proxy_server_request`.
    """
    body = ((litellm_params or {}).get("proxy_server_request") or {}).get("body") or {}
    values = {name: optional_params.get(name, body.get(name)) for name in OPTION_FIELDS}
    return EmbeddingOptions.parse(**values)


def inside_proxy() -> bool:
    """True once LiteLLM's proxy has loaded a config: only then does start-up switch things on
    (importing the plugins in a script or a unit test must not start loading models)."""
    try:
        from litellm.proxy import proxy_server
    except Exception:  # pragma: no cover - proxy extras missing
        return False
    return proxy_server.user_config_file_path is not None


def litellm_error(error: EmbeddingError, model: str) -> Exception:
    """The LiteLLM exception the proxy turns into `error.status_code`."""
    args: dict[str, Any] = dict(message=error.message, llm_provider=PROVIDER, model=model)
    status = error.status_code
    mapped: Any
    if status == 400:
        mapped = litellm.BadRequestError(**args)
    elif status == 404:
        mapped = litellm.NotFoundError(**args)
    elif status == 429:
        mapped = litellm.RateLimitError(**args)
    elif status == 503:
        mapped = litellm.ServiceUnavailableError(**args)
    elif status == 500:
        mapped = litellm.InternalServerError(**args)
    else:  # 413 has no class of its own
        mapped = litellm.APIError(status_code=status, **args)
    mapped.message = error.message  # without LiteLLM's "litellm.BadRequestError: " prefix
    if isinstance(error, QueueFull):
        mapped.headers = {"retry-after": str(error.retry_after_s)}
    if status in (429, 503):
        mapped.num_retries = 0
    return mapped


class EmbeddingServerProvider(CustomLLM):
    """The CustomLLM LiteLLM calls for `embedding_server/<model>` deployments."""

    def __init__(self, engine: EmbeddingEngine | None = None) -> None:
        super().__init__()
        self._engine = engine

    @property
    def engine(self) -> EmbeddingEngine:
        return self._engine or get_engine()

    def start(self) -> None:
        """Begin loading the models now when the config says `load: background` (never blocks)."""
        if self.engine.settings.enabled and self.engine.settings.load == "background":
            self.engine.start_background_loading()

    async def aembedding(
        self,
        model: str,
        input: list,
        model_response: EmbeddingResponse,
        print_verbose: Any = None,
        logging_obj: Any = None,
        optional_params: dict | None = None,
        api_key: str | None = None,
        api_base: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        litellm_params: dict | None = None,
    ) -> EmbeddingResponse:
        try:
            options = request_options(optional_params or {}, litellm_params)
            result = await self.engine.embed(model, input, options.modality, options.normalize)
        except EmbeddingError as error:
            raise litellm_error(error, model) from None
        record("embedding_items", model, str(options.modality or "text"), value=len(result.vectors))
        model_response.model = model
        model_response.object = "list"
        model_response.data = [
            Embedding(embedding=encode_vector(vector, options.encoding_format), index=index, object="embedding")
            for index, vector in enumerate(result.vectors)
        ]
        model_response.usage = Usage(prompt_tokens=result.prompt_tokens, completion_tokens=0,
                                     total_tokens=result.prompt_tokens)
        return model_response

    def embedding(self, model: str, input: list, model_response: EmbeddingResponse, *args: Any,
                  **kwargs: Any) -> EmbeddingResponse:
        """Synchronous `litellm.embedding(...)` (the proxy always uses the async path)."""
        return asyncio.run(self.aembedding(model, input, model_response, *args, **kwargs))
