"""Objects named in litellm_config.yaml. LiteLLM loads this file by path, so it only re-exports
instances built in the `plugins` package (one copy of every piece of state)."""

from plugins.instances import embedding_provider, gateway_hook

__all__ = ["embedding_provider", "gateway_hook"]
