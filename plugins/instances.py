"""The single instances of the gateway's LiteLLM callbacks and providers."""

from plugins.embeddings_provider import EmbeddingServerProvider
from plugins.hook import GatewayHook

gateway_hook = GatewayHook()
embedding_provider = EmbeddingServerProvider(start_loading=True)
