"""Gateway plugins for LiteLLM Proxy: routing by task and privacy, attachments, extra routes."""
