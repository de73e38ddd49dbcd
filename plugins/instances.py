"""The single instances of the gateway's LiteLLM callbacks and providers."""

from plugins.hook import GatewayHook

gateway_hook = GatewayHook()
