"""The gateway's decision for one chat request: read task/privacy -> pick group -> escalate
flexible requests that hold sensitive data -> place attachments.

Shared by the pre-call hook (which then calls the model) and `/v1/route/explain` (which only
reports), so the explanation is the same decision a real call gets.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from fastapi import HTTPException

from plugins.attachments import collect_attachments, place_attachments, prepare_attachments, replace_bytes
from plugins.platform.admission import local_work
from plugins.platform.errors import GatewayError
from plugins.platform.settings import gateway_settings
from plugins.policy import routing
from plugins.policy.key_access import check_group_allowed
from plugins.policy.outgoing import check_cloud_request, sent_texts
from plugins.policy.parameters import check_chat_parameters, limit_thinking
from plugins.policy.privacy_guard import reject_cross_class_fallbacks
from plugins.policy.redaction import (
    RedactionUncertain,
    Vault,
    keep,
    redact_fields,
    redact_image,
    redact_pdf,
    typed_placeholders,
)
from plugins.policy.sensitive import UNSCANNED, attachment_payloads, request_deadline, scan_request
from plugins.surfaces.responses_input import responses_messages

OVERRIDE_VALUES = ("off", "skip", "false")
logger = logging.getLogger("gateway.redaction")


def key_scope(user_api_key_dict: Any) -> str:
    """What identifies the caller for per-key state (the hashed key LiteLLM already computed)."""
    return str(getattr(user_api_key_dict, "token", None) or getattr(user_api_key_dict, "api_key", None) or "anonymous")


def _gateway_metadata(metadata: Any) -> dict:
    settings = metadata.get("gateway") if isinstance(metadata, dict) else None
    return settings if isinstance(settings, dict) else {}


def _key_settings(user_api_key_dict: Any) -> dict:
    return _gateway_metadata(getattr(user_api_key_dict, "metadata", None))


def _team_settings(user_api_key_dict: Any) -> dict:
    return _gateway_metadata(getattr(user_api_key_dict, "team_metadata", None))


# Strictest first: "block" sends nothing anywhere, "escalate" keeps it local, "redact" sends it out redacted.
ACTIONS = ("block", "escalate", "redact")


def _pins(user_api_key_dict: Any) -> list[str]:
    """The actions an admin pinned on the key and on its team (`gateway.sensitive_data` in their metadata)."""
    pins = []
    for settings in (_key_settings(user_api_key_dict), _team_settings(user_api_key_dict)):
        pinned = settings.get("sensitive_data")
        if isinstance(pinned, str) and pinned.strip().lower() in ACTIONS:
            pins.append(pinned.strip().lower())
    return pins


def _wants_escalation_check(data: dict, headers: dict[str, str], user_api_key_dict: Any) -> bool:
    """Escalation runs unless config or the key/team turn it off, or an allowed key skips it for one request.
    A pinned `sensitive_data` (key or team) keeps the check on: turning it off would loosen the pin."""
    settings = gateway_settings("escalation")
    metadata: dict[str, Any] = data["metadata"] if isinstance(data.get("metadata"), dict) else {}
    lowered = {key.lower(): value for key, value in headers.items()}
    override = data.pop("escalation", None) or metadata.pop("escalation", None) or lowered.get("x-escalation")
    key, team, pinned = _key_settings(user_api_key_dict), _team_settings(user_api_key_dict), _pins(user_api_key_dict)
    if not settings["enabled"] or (not pinned and False in (key.get("escalation"), team.get("escalation"))):
        return False
    if str(override).lower() not in OVERRIDE_VALUES:
        return True
    if pinned:
        raise HTTPException(403, f"This key may not skip sensitive-data escalation: an admin pinned "
                            f"sensitive_data={_strictest(pinned)} on the key or its team.")
    allowed = settings["override_key_aliases"] or []
    alias = getattr(user_api_key_dict, "key_alias", None)
    if "*" in allowed or (alias and alias in allowed) or key.get("escalation_override") or \
            team.get("escalation_override"):
        return False
    raise HTTPException(
        403, "This key may not skip sensitive-data escalation (gateway.escalation.override_key_aliases)."
    )


def _strictest(actions: list[str], *pins: str) -> str:
    return min([*actions, *pins], key=ACTIONS.index)


def requested_action(data: dict, headers: dict[str, str]) -> str | None:
    """The request's own `sensitive_data` (body, metadata or the `x-sensitive-data` header), if any."""
    metadata: dict[str, Any] = data["metadata"] if isinstance(data.get("metadata"), dict) else {}
    lowered = {key.lower(): value for key, value in headers.items()}
    chosen = data.pop("sensitive_data", None) or metadata.pop("sensitive_data", None) or lowered.get("x-sensitive-data")
    if chosen is None:
        return None
    if not isinstance(chosen, str) or chosen.strip().lower() not in ACTIONS:
        raise GatewayError(400, f"Invalid sensitive_data {chosen!r}: allowed values are escalate, redact, block.",
                           param="sensitive_data")
    return chosen.strip().lower()


def sensitive_action(found: list[str], requested: str | None, user_api_key_dict: Any) -> str:
    """What to do with the kinds `found`: the request's `sensitive_data`, else the key's, else the team's, for
    every kind; else each kind's `gateway.escalation.actions` entry (else `action`), the strictest of them
    (block > escalate > redact); made at least as strict as what an admin pinned on the key and its team: a
    request may tighten a pin, never loosen it. None of the three sends a detected value out."""
    settings = gateway_settings("escalation")
    per_kind = settings["actions"] or {}
    pins = _pins(user_api_key_dict)
    choice = requested or (pins[0] if pins else None)
    chosen = [choice] if choice else [str(per_kind.get(kind, settings["action"])).lower() for kind in found
                                      if kind not in UNSCANNED]
    return _strictest([action for action in chosen if action in ACTIONS] or [settings["action"]], *pins)


def may_redact(requested: str | None, user_api_key_dict: Any) -> bool:
    """Whether some kind could end in `redact` for this request (then the scan keeps the times of the spoken
    values it hears, which audio redaction silences)."""
    settings = gateway_settings("escalation")
    pins = _pins(user_api_key_dict)
    choice = requested or (pins[0] if pins else None)
    if choice:
        return _strictest([choice], *pins) == "redact"
    per_kind = settings["actions"] or {}
    return "redact" in {str(action).lower() for action in (settings["action"], *per_kind.values())}


async def _redacted_copy(attachment: Any, vault: Vault) -> tuple[Any, dict]:
    """The attachment's content with its values removed (None: nothing to remove), and what was done."""
    if attachment.kind in ("image", "pdf"):
        redact = redact_image if attachment.kind == "image" else redact_pdf
        return await local_work().run(redact, attachment.read(), vault), {}
    if attachment.kind in ("audio", "video"):
        from plugins.attachments.audio_redaction import redact_recording
        from plugins.attachments.video_redaction import redact_video

        done = await (redact_recording(attachment, vault) if attachment.kind == "audio" else
                      redact_video(attachment, vault))
        if done is None:
            return None, {}
        note = {"spans_silenced": done.spans, "seconds_silenced": done.seconds, "sent_as": done.sent_as}
        return done.stream, {"redacted": {**note, "frames_blacked_out": done.frames} if done.frames else note}
    raise RedactionUncertain(f"{attachment.kind} attachments cannot be redacted")


async def redact_request(data: dict[str, Any], sent: list[str], skip: frozenset[int], attachments: list,
                         deadline: float) -> Vault | None:
    """The request with its values replaced by placeholders in every field in `sent` and removed from its
    attachments (blacked out in images, PDF pages and video frames, silenced in audio and video tracks), or
    None when redaction cannot be certain. Attachments first, changed only once all of it succeeded: one
    that cannot be redacted leaves the request as it was, for escalation."""
    vault = Vault()
    vault.taken |= typed_placeholders(data, sent, skip)
    try:
        redacted = [(attachment, *await _redacted_copy(attachment, vault)) for attachment in attachments]
        if attachments:  # texts already read once: a short budget of their own after the media's redaction
            deadline = max(deadline, time.monotonic() + min(10.0, float(gateway_settings("escalation")
                                                                        ["scan_timeout_s"])))
        redact_fields(data, sent, skip, vault, deadline)
    except (RedactionUncertain, HTTPException, GatewayError) as error:
        logger.info("redaction uncertain, the request escalates: %s", error)  # what failed, never a value
        return None
    for attachment, content, note in redacted:
        if content is not None:
            replace_bytes(attachment, content)
            attachment.local.update(note)
    return vault


def escalation_reason(found: list[str]) -> str:
    """"sensitive-data" when something was detected; "unscanned-content" when a part could not be read."""
    if not found:
        return ""
    return "sensitive-data" if any(kind not in UNSCANNED for kind in found) else "unscanned-content"


CHAT_ROLES = ("system", "developer", "user", "assistant", "tool", "function")
CHAT_PART_TYPES = ("text", "image_url", "input_audio", "file", "image", "audio", "video", "refusal")


def _normalise_arguments(message: dict, where: str) -> None:
    """Tool-call `arguments` sent as a JSON object become the JSON string OpenAI's schema has (LiteLLM's
    Gemini path would answer 500); any other non-string is a 400."""
    calls = message.get("tool_calls")
    functions = [(f"{where}.tool_calls[{index}].function", call.get("function"))
                 for index, call in enumerate(calls if isinstance(calls, list) else []) if isinstance(call, dict)]
    functions.append((f"{where}.function_call", message.get("function_call")))
    for path, function in functions:
        if not isinstance(function, dict):
            continue
        arguments = function.get("arguments")
        if isinstance(arguments, (dict, list)):
            function["arguments"] = json.dumps(arguments, ensure_ascii=False)
        elif arguments is not None and not isinstance(arguments, str):
            raise GatewayError(400, f"{path}.arguments must be a JSON string; got {type(arguments).__name__}.",
                               param=f"{path}.arguments")


def validate_messages(messages: Any) -> list:
    """Chat `messages` LiteLLM can take, or a 400 naming the field (LiteLLM itself would answer 500)."""
    if not isinstance(messages, list) or not messages:
        raise GatewayError(400, "'messages' must be a non-empty list of message objects.", param="messages")
    for index, message in enumerate(messages):
        where = f"messages[{index}]"
        if not isinstance(message, dict):
            raise GatewayError(400, f"{where} must be an object with 'role' and 'content'.", param=where)
        if message.get("role") not in CHAT_ROLES:
            raise GatewayError(400, f"{where}.role must be one of {', '.join(CHAT_ROLES)}; got "
                               f"{message.get('role')!r}.", param=f"{where}.role")
        _normalise_arguments(message, where)
        content = message.get("content")
        if content is not None and not isinstance(content, (str, list)):
            raise GatewayError(400, f"{where}.content must be a string or a list of content parts.",
                               param=f"{where}.content")
        for position, part in enumerate(content if isinstance(content, list) else []):
            kind = part.get("type") if isinstance(part, dict) else None
            if kind not in CHAT_PART_TYPES:
                raise GatewayError(400, f"{where}.content[{position}].type must be one of "
                                   f"{', '.join(CHAT_PART_TYPES)}; got {kind!r}.",
                                   param=f"{where}.content[{position}].type")
    return messages


def scanned_fields(data: dict[str, Any], sent: dict[str, Any] | None) -> dict[str, Any]:
    """The request's fields as they will be forwarded, for the fields the client sent (LiteLLM adds its
    own bookkeeping to `data`, which no provider receives)."""
    return {name: data[name] for name in (sent if sent is not None else data) if name in data}


async def plan_request(
    data: dict[str, Any], headers: dict[str, str], key_scope: str, user_api_key_dict: Any = None,
    dry_run: bool = False, surface: str = "chat", sent: dict[str, Any] | None = None,
    query: dict[str, str] | None = None,
) -> dict:
    """Decide where `data` goes, strip the gateway's fields from it, and (chat, unless `dry_run`)
    rewrite its attachments for that destination. Returns the route record.

    `surface` is "chat" (messages) or "responses" (input/instructions, read as messages). `sent` is the
    body as the client sent it (default: `data`); `query` the query-string parameters."""
    async with local_work().request():  # its OCR, PDF and transcription jobs: one admission
        return await _decide(data, headers, key_scope, user_api_key_dict, dry_run, surface, sent, query)


async def _decide(
    data: dict[str, Any], headers: dict[str, str], key_scope: str, user_api_key_dict: Any = None,
    dry_run: bool = False, surface: str = "chat", sent: dict[str, Any] | None = None,
    query: dict[str, str] | None = None,
) -> dict:
    messages = validate_messages(data.get("messages")) if surface == "chat" else responses_messages(data)
    decision = routing.decide_route(data, headers, messages, query)
    requested_privacy = decision.privacy
    if decision.privacy == "flexible":
        check_cloud_request(sent if sent is not None else data, surface)
    check = _wants_escalation_check(data, headers, user_api_key_dict)
    requested = requested_action(data, headers)
    reject_cross_class_fallbacks(data, decision)
    found = await collect_attachments(messages)
    attachments = [attachment for _, _, attachment in found]
    # Flexible attachments become exactly what would be sent before the scan reads them.
    await prepare_attachments(attachments, decision.privacy,
                              scanning=check and bool(gateway_settings("escalation")["scan_attachments"]))
    sensitive: list[str] = []
    vault: Vault | None = None
    scanned = decision.privacy == "flexible" and check
    deadline = request_deadline()
    if scanned:
        fields = scanned_fields(data, sent)
        skip = attachment_payloads(content[position] for content, position, _ in found)
        sensitive = await scan_request(sent_texts(fields, skip), attachments, key_scope, deadline,
                                       timed=may_redact(requested, user_api_key_dict))
    action = sensitive_action(sensitive, requested, user_api_key_dict)
    if scanned:
        if sensitive and action == "block":
            raise GatewayError(403, "Refused: the request holds sensitive data (" + ", ".join(sensitive) + ") and "
                               "sensitive_data=block. Nothing was sent to any model.", param="sensitive_data",
                               error_type="permission_error", code="sensitive_data_blocked")
        if sensitive and action == "redact" and not set(sensitive) & set(UNSCANNED):
            vault = await redact_request(data, list(fields), skip, attachments, deadline)
        if sensitive and vault is None:
            reason = escalation_reason(sensitive) if action == "escalate" else "redaction-uncertain"
            decision = routing.escalate_to_strict(decision, f"{reason}:" + "+".join(sensitive))
            for name in ("fallbacks", "context_window_fallbacks", "content_policy_fallbacks"):
                data.pop(name, None)  # client fallbacks named flexible groups
    if surface == "chat":
        check_chat_parameters(data, decision.privacy)
    if decision.privacy == "flexible":
        limit_thinking(data)
    # Before anything is uploaded: the key must be allowed the group chosen for it.
    await check_group_allowed(user_api_key_dict, decision.group)
    attachments = await place_attachments(messages, found, decision.privacy, key_scope, dry_run, surface)
    return {
        **decision.as_metadata(),
        "surface": surface,
        "requested_privacy": requested_privacy,
        "escalated": "" if vault else escalation_reason(sensitive),
        "sensitive": sensitive,
        "scanned": scanned,
        "scan_deadline": deadline,  # the last-step check reads with what is left of it
        "action": action,
        "redacted": vault.summary() if vault else "",
        "redaction_boxes": vault.boxes if vault and dry_run else [],
        "redaction_spans": vault.silenced if vault and dry_run else [],
        "redacted_audio": len(vault.silenced) if vault else 0,  # stretches of speech silenced
        "vault": keep(vault) if vault and not dry_run else "",
        "attachments": ",".join(f"{item.mime}:{item.placement}" for item in attachments),
        "attachment_log": [item.summary() for item in attachments],
    }
