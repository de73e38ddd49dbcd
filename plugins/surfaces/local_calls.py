"""LiteLLM's own per-request accounting for the calls the gateway answers itself.

`/v1/audio/*` (Whisper in this process) and `/v1/route/explain` (OCR, no model) never go through
`litellm.acompletion`, so nothing would count them. They run the same steps LiteLLM runs for its
routes, with LiteLLM's code:

- `admit`: the request's proxy metadata (`add_litellm_data_to_request`: key, team, user) and the
  proxy's pre-call hooks (`proxy_logging_obj.pre_call_hook`: key/team/user rpm, tpm and parallel
  limits, shared through Redis, and budget hooks). The key's budget itself is checked by
  `user_api_key_auth`, as these routes are LLM API routes (plugins.surfaces.routes).
- `log_success`: a LiteLLM `Logging` success event, which writes the spend log row and the key's
  spend (`_ProxyDBLogger`) and closes what the limiters opened.

The gateway's own pre-call hook lets a call marked here pass: the route already applied its policy
(the marker is a Python object, which no request body can carry).
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from fastapi import Request
from litellm.proxy._types import UserAPIKeyAuth

MARK = "gateway_local_call"


class LocalCall:
    """Marks request data the gateway serves itself (never JSON: a client cannot send it)."""


def is_local_call(data: dict[str, Any]) -> bool:
    return isinstance(data.get(MARK), LocalCall)


async def admit(request: Request, key: UserAPIKeyAuth, model: str, call_type: str) -> dict[str, Any]:
    """Run LiteLLM's per-request steps before a local call; raises (429...) when a limit says no."""
    from litellm.proxy.litellm_pre_call_utils import add_litellm_data_to_request
    from litellm.proxy.proxy_server import general_settings, proxy_config, proxy_logging_obj, version

    data: dict[str, Any] = {"model": model, "litellm_call_id": str(uuid.uuid4())}
    data = await add_litellm_data_to_request(data=data, request=request, user_api_key_dict=key,
                                             proxy_config=proxy_config, general_settings=general_settings,
                                             version=version)
    data[MARK] = LocalCall()
    data.setdefault("metadata", {})["model_group"] = model  # the spend row's model group
    return await proxy_logging_obj.pre_call_hook(user_api_key_dict=key, data=data, call_type=call_type)  # type: ignore[call-overload]


async def release(key: UserAPIKeyAuth) -> None:
    """Give back the key's `max_parallel_requests` slot `admit` took (a no-op when none was taken, or when
    the success event already gave it back). The slot belongs to whichever limiter took it: LiteLLM's
    current (v3) one is a registered callback, not `proxy_logging_obj.max_parallel_request_limiter`."""
    import litellm
    from litellm.proxy.proxy_server import proxy_logging_obj

    limiters: list[Any] = [callback for callback in litellm.callbacks
                           if type(callback).__module__.endswith("limiter_v3")]
    limiters.append(getattr(proxy_logging_obj, "max_parallel_request_limiter", None))
    for limiter in limiters:
        release_slot = getattr(limiter, "async_release_max_parallel_requests_on_disconnect", None)
        if release_slot is not None:
            await release_slot(user_api_key_dict=key)


def deployment_price(model: str, unit: str) -> float:
    """The group's configured price per `unit` ("second", "token"), 0 when none."""
    from litellm.proxy.proxy_server import llm_router

    for deployment in (llm_router.get_model_list(model_name=model) or []) if llm_router else []:
        price = (deployment.get("model_info") or {}).get(f"input_cost_per_{unit}")
        if isinstance(price, (int, float)):
            return float(price)
    return 0.0


async def log_success(data: dict[str, Any], call_type: str, result: Any, cost: float,
                      started: datetime.datetime) -> None:
    """The success event LiteLLM logs after a provider call, for a call served here (cost as a provider
    reports it, in the `x-litellm-response-cost` header LiteLLM's cost calculator reads)."""
    from litellm.litellm_core_utils.litellm_logging import Logging

    model = str(data.get("model"))
    logging_obj = Logging(model=model, messages=[{"role": "user", "content": ""}], stream=False, call_type=call_type,
                          start_time=started, litellm_call_id=str(data["litellm_call_id"]),
                          function_id="gateway-local")
    logging_obj.update_environment_variables(
        model=model, user=None, optional_params={}, custom_llm_provider=model.split("/", 1)[0],
        litellm_params={"metadata": data.get("metadata") or {}, "litellm_call_id": data["litellm_call_id"],
                        "proxy_server_request": data.get("proxy_server_request"), "model_group": model})
    result._hidden_params = {**(getattr(result, "_hidden_params", None) or {}),
                             "additional_headers": {"llm_provider-x-litellm-response-cost": cost}}
    await logging_obj.async_success_handler(result=result, start_time=started, end_time=datetime.datetime.now(),
                                            cache_hit=False)
