"""How the gateway speaks to each backend through LiteLLM, where LiteLLM alone would get it wrong."""
