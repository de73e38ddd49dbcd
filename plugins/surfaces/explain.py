"""`POST /v1/route/explain`: the routing decision for a chat request, without calling any model.

Takes the same JSON or multipart body as `/v1/chat/completions` and runs the same pipeline in
dry-run mode: nothing is uploaded and no backend is contacted.
"""

from __future__ import annotations

from fastapi import Depends, HTTPException, Request
from litellm.proxy.auth.user_api_key_auth import user_api_key_auth

from plugins.pipeline import key_scope, plan_request
from plugins.surfaces.local_calls import admit, release
from plugins.surfaces.multipart import body_from_form, is_multipart, request_limit_bytes, uploaded_files


def _deployments(group: str) -> list[str]:
    from litellm.proxy.proxy_server import llm_router

    if llm_router is None:
        return []
    return [entry["litellm_params"]["model"] for entry in llm_router.get_model_list(model_name=group) or []]


async def explain_route(request: Request, user_api_key_dict=Depends(user_api_key_auth)) -> dict:  # noqa: B008
    """Where this request would go and why (group, deployment, attachment plan, rule)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > request_limit_bytes() + 1024 * 1024:
        raise HTTPException(413, "Request body exceeds the request limit.")
    files: list = []
    if is_multipart(request.scope):
        form = await request.form(max_part_size=request_limit_bytes())
        body, files = body_from_form(form)
    else:
        body = await request.json()
        if not isinstance(body, dict):
            raise HTTPException(400, "Body must be a JSON object.")
    # Counted like a chat call (it can run OCR): the key's rpm/parallel limits and budget hooks.
    await admit(request, user_api_key_dict, str(body.get("model") or "auto"), "acompletion")
    token = uploaded_files.set(files)
    try:
        route = await plan_request(body, dict(request.headers), key_scope(user_api_key_dict), user_api_key_dict,
                                   dry_run=True, sent=dict(body), query=dict(request.query_params))
    finally:
        uploaded_files.reset(token)
        await release(user_api_key_dict)
    return {
        "task": route["task"],
        "privacy": route["privacy"],
        "group": route["group"],
        "rule": route["rule"],
        "deployments": _deployments(route["group"]),
        "attachments": route["attachment_log"],
        "requested_privacy": route["requested_privacy"],
        "escalated": route["escalated"] or None,
        "sensitive": route["sensitive"],
        "action": route["action"],
        "redacted": route["redacted"] or None,  # types and counts, never values
        "redaction_boxes": route["redaction_boxes"],
        "redaction_spans": route["redaction_spans"],  # audio and video sound: where, start, end, kinds
    }
