"""Which HTTP routes may reach a model: deny by default.

LiteLLM registers hundreds of routes; many of them call a provider without passing the gateway's
policy (Responses retrieval, Anthropic messages, audio, images, batches, files, native Gemini
routes, pass-through, MCP, agents...). At start-up every route of the live app is classified:

- `gateway`: the gateway's own routes (multipart chat, explain, seed embeddings, health...);
- `policy`: model routes the gateway serves through its policy (chat, Responses, embeddings, models);
- `refused`: every other route that can reach a model; it answers 404 in the OpenAI envelope
  before any backend is contacted;
- `admin`: LiteLLM's key/team/spend/UI routes, which call no model;
- `unclassified`: none of the above (e.g. added by a LiteLLM upgrade): refused too, until
  someone classifies it. A test asserts there are none.

`gateway.surface.open` lists LiteLLM route paths an operator opens on purpose; calls through them
still meet the hook's policy and the last-step guard in `privacy_guard`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

from starlette.routing import BaseRoute, Match, compile_path
from starlette.types import Receive, Scope, Send

from plugins.platform.errors import GatewayError
from plugins.platform.settings import gateway_settings

# Model routes served through the gateway's policy (the hook routes, scans and guards them).
POLICY_PATHS = frozenset({
    "/v1/chat/completions", "/chat/completions", "/engines/{model}/chat/completions",
    "/openai/deployments/{model}/chat/completions",
    "/v1/responses", "/responses", "/openai/v1/responses",
    "/v1/embeddings", "/embeddings", "/engines/{model}/embeddings", "/openai/deployments/{model}/embeddings",
    "/v1/models", "/models", "/v1/models/{model_id}", "/models/{model_id}",
    "/model/info", "/v1/model/info", "/v2/model/info", "/model_group/info",
})
POLICY_PATTERNS = [compile_path(path)[0] for path in POLICY_PATHS]
# Words that mark a route as carrying a model call, for routes LiteLLM's own lists do not name.
MODEL_WORDS = frozenset({
    "completions", "chat", "responses", "messages", "embeddings", "audio", "speech", "transcriptions",
    "translations", "images", "videos", "batches", "files", "fine_tuning", "assistants", "threads", "runs",
    "vector_stores", "vector_store", "rerank", "moderations", "realtime", "live", "ocr", "search", "containers",
    "skills", "mcp", "a2a", "agents", "interactions", "generateContent", "streamGenerateContent", "countTokens",
    "queue", "workflows", "memory", "rag", "guardrails", "apply_guardrail", "plugin", "test_connection",
    "shadow_eval", "transform_request", "token_counter", "provider", "passthrough", "pass_through",
    "toolset", "mcp_server_name", "count_tokens", "decisions", "systemone", "traces", "logs", "test", "evals",
    "indexes", "event_logging", "enrich", "suggest", "test_routing", "test_policies_and_guardrails",
})
# Families of LiteLLM routes that reach a model or an outside service without a model word in their path
# (MCP OAuth, Claude Code gateway, model insights, search tools).
REFUSED_PREFIXES = ("/authorize", "/revoke", "/callback", "/register", "/oauth", "/claude_code_gateway",
                    "/model-insights", "/search_tools")
# LiteLLM admin routes that read the spend logs: "logs" and "search" are model words elsewhere (OTLP
# logs, search APIs), so these are named exactly; none of them calls a model.
ADMIN_PATHS = frozenset({
    "/spend/logs", "/spend/logs/v2", "/spend/logs/ui", "/spend/logs/ui/{request_id}", "/spend/logs/session/ui",
    "/global/spend/logs", "/user/daily/activity/aggregated/search", "/team/daily/activity/aggregated/search",
    "/tag/daily/activity/aggregated/search", "/organization/daily/activity/aggregated/search",
})
# Families of LiteLLM admin routes (keys, teams, spend, UI) that call no model.
ADMIN_PREFIXES = (
    "/key", "/v2/key", "/team", "/v2/team", "/user", "/v2/user", "/customer", "/end_user", "/organization",
    "/v2/organization", "/budget", "/spend", "/global", "/model", "/v2/model", "/model_group", "/health",
    "/sso", "/login", "/v2/login", "/v3/login", "/logout", "/fallback", "/onboarding", "/invitation",
    "/ui", "/_next", "/litellm-asset-prefix", "/swagger", "/docs", "/redoc", "/openapi.json", "/routes",
    "/.well-known", "/litellm/.well-known", "/get", "/update", "/config", "/settings", "/credentials", "/tag",
    "/access_group", "/public", "/cache", "/router", "/schedule", "/email", "/project", "/team_member",
    "/management", "/active", "/alerting", "/metrics", "/robots.txt", "/get_logo_url", "/get_image",
    "/get_favicon", "/upload/logo", "/sso_settings", "/delete", "/add", "/reload", "/debug", "/telemetry",
    "/coordination_redis", "/cost_optimization", "/gateway/errors", "/agent/daily", "/provider/budgets",
    "/model_hub", "/utils/supported_openai_params", "/v1/model/deprecations", "/adaptive_router/state",
    "/auto_router/benchmarks", "/lens", "/liteadmin", "/api/plugins", "/otel-spans", "/compliance",
    "/memory-usage", "/user_agent", "/audit", "/callbacks", "/daily", "/prompts", "/policy", "/policies",
    "/claude-code", "/moyai", "/lazy", "/v1/rust_control_plane", "/scim", "/cloudzero", "/vantage",
    "/utils/dotprompt_json_converter", "/v1/access_group", "/v1/unified_access_group", "/v1/tool",
    "/config_overrides", "/",
)


def normalise(path: str) -> str:
    """A route template without converters or query (`/files/{file_id:path}` -> `/files/{file_id}`)."""
    return re.sub(r"\{([^}:]+):[^}]+\}", r"{\1}", path.split("?", 1)[0]).rstrip("*").rstrip("/") or "/"


def _litellm_lists() -> tuple[set[str], set[str], tuple[str, ...]]:
    """(model-reaching routes, admin routes, pass-through prefixes) as LiteLLM itself lists them."""
    from litellm.proxy._types import LiteLLMRoutes

    model = {normalise(path) for path in LiteLLMRoutes.llm_api_routes.value}
    model_lists = {"llm_api_routes", "llm_api_routes_without_mcp", "openai_routes", "anthropic_routes",
                   "google_routes", "mcp_inference_routes", "mcp_routes", "agent_inference_routes", "agent_routes",
                   "litellm_native_routes", "mapped_pass_through_routes", "passthrough_routes_wildcard",
                   "apply_guardrail_routes", "model_info_routes", "trace_telemetry_routes", "openai_route_names"}
    admin: set[str] = set()
    for name, member in LiteLLMRoutes.__members__.items():
        if name not in model_lists and isinstance(member.value, (list, tuple, set, frozenset)):
            admin |= {normalise(path) for path in member.value if isinstance(path, str) and path.startswith("/")}
    passthrough = tuple(LiteLLMRoutes.mapped_pass_through_routes.value)
    return model, admin - model, passthrough


def _under(template: str, prefixes: tuple[str, ...]) -> bool:
    return any(template == prefix or template.startswith(prefix.rstrip("/") + "/") for prefix in prefixes
               if prefix != "/")


def _words(path: str) -> set[str]:
    return set(re.split(r"[^A-Za-z0-9_]+", path.replace("{", "/").replace("}", "/"))) - {""}


def classify(path: str, litellm_lists: tuple[set[str], set[str], tuple[str, ...]] | None = None) -> str:
    """`policy`, `refused`, `admin` or `unclassified` for one LiteLLM route template."""
    model, admin, passthrough = litellm_lists or _litellm_lists()
    template = normalise(path)
    opened = {normalise(item) for item in gateway_settings("surface")["open"] or []}
    if template in POLICY_PATHS or template in opened:
        return "policy"
    if template in ADMIN_PATHS and template in admin:
        return "admin"
    first = "/" + template.split("/")[1] if template != "/" else "/"
    if template in model or first in passthrough or _words(template) & MODEL_WORDS or _under(template,
                                                                                                 REFUSED_PREFIXES):
        return "refused"
    if template in admin or _under(template, ADMIN_PREFIXES) or template == "/":
        return "admin"
    return "unclassified"


def not_served(path: str) -> GatewayError:
    return GatewayError(404, f"{path} is not served by this gateway: it would reach a model without the gateway's "
                        "privacy policy. Use /v1/chat/completions, /v1/responses or /v1/embeddings "
                        "(docs/PRIVACY.md).", error_type="invalid_request_error", code="route_not_served")


SURFACES: list[RefusedSurfaces] = []  # the running app's (one per process): the request guard and listing read it


async def refuse_unserved(scope: Scope) -> GatewayError | None:
    """The 404 for a request the gateway does not serve, after registering any router LiteLLM would load for
    its path."""
    path = str(scope.get("path", ""))
    if not SURFACES or SURFACES[0].serves_itself(scope):
        return None
    await SURFACES[0].load_lazy_routes(path)
    return not_served(path) if SURFACES[0].refuses(path) else None


def flat_routes(routes: list[BaseRoute]) -> Iterator[tuple[str, list[str]]]:
    """(path template, methods) of every route, including those of routers FastAPI includes lazily."""
    for route in routes:
        contexts = getattr(route, "effective_route_contexts", None)
        if contexts is not None:
            for context in contexts():
                yield context.path, sorted(getattr(context.original_route, "methods", None) or [])
        else:
            yield getattr(route, "path", "") or "", sorted(getattr(route, "methods", None) or [])


def surface_table(routes: list[BaseRoute], own_paths: set[str]) -> dict[str, list[str]]:
    """path template -> classification for every route of the live app (own routes are `gateway`)."""
    lists = _litellm_lists()
    table: dict[str, list[str]] = {}
    for path, _methods in flat_routes(routes):
        kind = "gateway" if path in own_paths else classify(path, lists)
        table.setdefault(kind, [])
        if path not in table[kind]:
            table[kind].append(path)
    return table


class RefusedSurfaces(BaseRoute):
    """One route, first in the table, that answers every refused or unclassified route with 404; the
    request guard asks it first too (`refuse_unserved`), before LiteLLM's own middleware runs.

    The table is classified on the first request, once LiteLLM has registered every route it adds
    at start-up, and again whenever routes are added later: LiteLLM registers optional routers on the
    first request to their prefix, so the guard registers them itself before classifying that request.
    Routes LiteLLM lists as model-reaching are refused even if not registered yet."""

    def __init__(self, routes: list[BaseRoute], own_routes: Sequence[BaseRoute], app: Any = None) -> None:
        self._routes, self._own_routes, self._app = routes, own_routes, app
        self._own = {str(getattr(route, "path", "")) for route in own_routes}
        self._table: dict[str, list[str]] | None = None
        self._built_with = -1
        self._patterns: list[re.Pattern] = []
        self._prefixes: tuple[str, ...] = ()

    @property
    def table(self) -> dict[str, list[str]]:
        if self._table is None or len(self._routes) != self._built_with:
            self._build()
        assert self._table is not None
        return self._table

    async def load_lazy_routes(self, path: str) -> None:
        """Register the optional LiteLLM routers this path would load, so they are classified first."""
        from litellm.proxy import _lazy_features as lazy

        if self._app is None:
            return
        for feature in lazy.LAZY_FEATURES:
            if feature.module_path not in lazy._lazy_loaded(self._app) and feature.matches(path):
                await lazy._force_load(self._app, feature)

    def _build(self) -> None:
        self._built_with = len(self._routes)
        from litellm.proxy._types import LiteLLMRoutes

        model, _admin, passthrough = _litellm_lists()
        table = surface_table([route for route in self._routes if route is not self], self._own)
        lists = (model, _admin, passthrough)
        unseen = [path for path in model if classify(path, lists) == "refused"]
        templates = sorted(set(table.get("refused", []) + table.get("unclassified", []) + unseen))
        self._patterns = [compile_path(normalise(template))[0] for template in templates]
        wildcards = [template[:-2] for template in LiteLLMRoutes.llm_api_routes.value if template.endswith("/*")]
        self._prefixes = tuple(prefix.rstrip("/") for prefix in passthrough) + tuple(wildcards)
        self._table = table

    def serves_itself(self, scope: Scope) -> bool:
        """A route of the gateway's own takes this request (they come first in the table too)."""
        return any(route.matches(scope)[0] is Match.FULL for route in self._own_routes)

    def refuses(self, path: str) -> bool:
        if self._table is None or len(self._routes) != self._built_with:
            self._build()
        if any(path == prefix or path.startswith(prefix + "/") for prefix in self._prefixes):
            return not any(pattern.match(path) for pattern in POLICY_PATTERNS)
        return any(pattern.match(path) for pattern in self._patterns)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope.get("type") in ("http", "websocket") and self.refuses(scope.get("path", "")):
            return Match.FULL, {}
        return Match.NONE, {}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        await not_served(str(scope.get("path"))).response()(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any):  # pragma: no cover - never named
        from starlette.routing import NoMatchFound

        raise NoMatchFound(name, path_params)

