"""Start-up: the one place that switches the gateway on inside LiteLLM Proxy.

Importing any plugin module only defines things. LiteLLM imports `plugins.callbacks` (named in
litellm_config.yaml) while it loads the config; that module calls `start_gateway()`, which checks
the config, installs the gateway's routes and request guard, closes the surfaces that would
bypass the policy, turns on the response cache when Redis is configured, starts loading the
embedding models, and loads the sensitive-data detectors.
"""

from __future__ import annotations

import functools

from embedding_server.batcher import BATCH_OBSERVERS
from plugins.embeddings_provider import EmbeddingServerProvider, inside_proxy
from plugins.hook import GatewayHook


def observe_embedding_batch(model: str, size: int, queued: int) -> None:
    from plugins.platform.metrics import record

    record("batch_size", model, value=size)
    record("queue_items", model, value=queued)


@functools.lru_cache(maxsize=1)
def start_gateway() -> tuple[GatewayHook, EmbeddingServerProvider]:
    """Build the hook and the embedding provider and switch everything on, once per process."""
    from litellm.proxy.proxy_server import app
    from starlette.middleware import Middleware

    from plugins.attachments.media import release_freed_memory_promptly
    from plugins.backends.gemini import install_cloud_body_check, install_refusals
    from plugins.backends.ollama import install_ollama_backend
    from plugins.platform.settings import check_gateway_settings
    from plugins.platform.shared_redis import enable_response_cache
    from plugins.policy.cache_scope import install_cache_scope
    from plugins.policy.end_users import install_end_user_scope
    from plugins.policy.key_revocation import install_key_revocation
    from plugins.policy.key_visibility import install_key_visibility
    from plugins.policy.privacy_guard import reject_cross_class_fallbacks
    from plugins.surfaces.request_guard import RequestGuard
    from plugins.surfaces.routes import install_gateway_routes

    check_gateway_settings()
    reject_cross_class_fallbacks()
    hook, provider = GatewayHook(), EmbeddingServerProvider()
    if not inside_proxy():  # imported outside a running proxy (a script, a unit test): nothing to switch on
        return hook, provider
    release_freed_memory_promptly()  # OCR and transcription buffers go back to the system when freed
    install_gateway_routes(app)
    install_refusals()
    install_cloud_body_check()
    install_key_visibility()
    install_key_revocation()
    install_end_user_scope()
    install_cache_scope()
    install_ollama_backend()
    app.user_middleware.insert(0, Middleware(RequestGuard))
    if app.middleware_stack is not None:  # already built by the time LiteLLM loads its config
        app.middleware_stack = app.build_middleware_stack()
    enable_response_cache()
    BATCH_OBSERVERS.append(observe_embedding_batch)
    provider.start()
    warm_detectors()
    return hook, provider


def warm_detectors() -> None:
    """Load what the sensitive-data scan needs (the name list, Unicode's confusables, the compiled patterns)
    before the first request, whose scan budget (`gateway.escalation.scan_timeout_s`) should be spent
    reading it, not loading them. A list that cannot be read stays unloaded: requests fail closed."""
    from plugins.policy.detect import ScanTimeout, find_sensitive

    try:
        find_sensitive(["Warm-up: Laura Gómez, Calle Mayor 1, ES91 2100 0418 4502 0005 1332, 612 34 56 78."])
    except ScanTimeout:
        pass
