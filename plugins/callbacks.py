"""Objects named in litellm_config.yaml. LiteLLM imports this file while it loads the config, so this
is the gateway's entry point: it starts the gateway (plugins.startup) and exposes its callbacks."""

from plugins.startup import start_gateway

gateway_hook, embedding_provider = start_gateway()

__all__ = ["embedding_provider", "gateway_hook"]
