"""Decide which model group serves a chat request, from its task and privacy mode.

Carriers, in precedence order: top-level body fields (openai SDK `extra_body`), `metadata`,
headers `x-task` / `x-privacy-mode`, then the query string. privacy_mode carriers that disagree are
a 400 (never settled towards the cloud). The fields are removed from the body so they never reach a
backend. Privacy defaults to strict: a request that says nothing stays local.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from plugins.platform.errors import GatewayError
from plugins.platform.settings import full_config, gateway_settings

TASKS = ("chat", "vision", "ocr")
PRIVACY_MODES = ("strict", "flexible")
AUTO_MODELS = (None, "", "auto")
IMAGE_PART_TYPES = ("image_url", "image", "video")  # a video is seen through its frames


@dataclass(frozen=True)
class RouteDecision:
    """Where a request goes and which rule decided it (reported in headers and logs)."""

    task: str
    privacy: str
    group: str
    rule: str

    def as_metadata(self) -> dict[str, str]:
        return {"task": self.task, "privacy": self.privacy, "group": self.group, "rule": self.rule}


def group_table() -> dict[str, dict[str, str]]:
    """task -> privacy -> model group, from the config."""
    return gateway_settings("routing")["groups"] or {}


def groups_by_name() -> dict[str, tuple[str, str]]:
    """model group -> (task, privacy)."""
    return {group: (task, privacy) for task, row in group_table().items() for privacy, group in row.items()}


def is_embedding_deployment(deployment: dict[str, Any]) -> bool:
    """An in-process embedding model, or a group declared `mode: embedding` (e.g. another gateway host)."""
    model = str((deployment.get("litellm_params") or {}).get("model", ""))
    return model.startswith("embedding_server/") or (deployment.get("model_info") or {}).get("mode") == "embedding"


def embedding_groups() -> list[str]:
    """Model groups that serve embeddings: the in-process models, or the gateway hosts that hold them
    (docs/SCALING.md); start-up refuses an embedding group with a cloud deployment."""
    groups = []
    for deployment in full_config().get("model_list") or []:
        if is_embedding_deployment(deployment) and deployment.get("model_name") not in groups:
            groups.append(deployment.get("model_name"))
    return groups


def embedding_dimensions(group: str) -> int | None:
    """The vector size an embedding group returns (gateway.embeddings.models.<name>.dimensions)."""
    for deployment in full_config().get("model_list") or []:
        model = str((deployment.get("litellm_params") or {}).get("model", ""))
        if deployment.get("model_name") == group and model.startswith("embedding_server/"):
            entry = (gateway_settings("embeddings").get("models") or {}).get(model.split("/", 1)[1]) or {}
            return int(entry["dimensions"]) if entry.get("dimensions") else None
    return None


def privacy_of_group(group: str) -> str | None:
    found = groups_by_name().get(group)
    return found[1] if found else None


def _pop_carried(data: dict[str, Any], headers: dict[str, str], query: dict[str, str], field: str,
                 header: str) -> tuple[Any, str | None]:
    """Take `field` out of body and metadata (both are stripped) and return the winning value and its
    carrier (body, then metadata, then header, then query string). For privacy_mode, carriers that
    disagree are a 400: a conflict is never settled towards the cloud."""
    metadata: dict[str, Any] = data["metadata"] if isinstance(data.get("metadata"), dict) else {}
    given = [(value, carrier) for value, carrier in (
        (data.pop(field, None), "body"), (metadata.pop(field, None), "metadata"), (headers.get(header), "header"),
        (query.get(field), "query")) if value not in (None, "")]
    if field == "privacy_mode" and len({str(value).strip().lower() for value, _ in given}) > 1:
        said = ", ".join(f"{carrier} {value!r}" for value, carrier in given)
        raise GatewayError(400, f"Conflicting privacy_mode values ({said}): send it once.", param=field,
                           code="conflicting_values")
    return given[0] if given else (None, None)


def _validated(value: Any, allowed: tuple[str, ...], name: str) -> str:
    if not isinstance(value, str) or value.strip().lower() not in allowed:
        raise GatewayError(400, f"Invalid {name} {value!r}: allowed values are {', '.join(allowed)}.", param=name)
    return value.strip().lower()


def has_image_part(messages: Any) -> bool:
    """True when any message carries an image content part (OpenAI `image_url`, seed `image` or `video`)."""
    for message in messages or []:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, list) and any(
            isinstance(part, dict) and part.get("type") in IMAGE_PART_TYPES for part in content
        ):
            return True
    return False


def decide_route(data: dict[str, Any], headers: dict[str, str], messages: Any = None,
                 query: dict[str, str] | None = None) -> RouteDecision:
    """Read, validate and strip task/privacy from a request and pick its model group.

    `messages` are the request's messages (chat) or its input read as messages (Responses); `query` the
    request's query-string parameters, one more carrier."""
    lowered = {key.lower(): value for key, value in (headers or {}).items()}
    task_value, task_carrier = _pop_carried(data, lowered, query or {}, "task", "x-task")
    privacy_value, privacy_carrier = _pop_carried(data, lowered, query or {}, "privacy_mode", "x-privacy-mode")
    task = _validated(task_value, TASKS, "task") if task_carrier else None
    privacy = _validated(privacy_value, PRIVACY_MODES, "privacy_mode") if privacy_carrier else None

    requested_model = data.get("model")
    named_group = None if requested_model in AUTO_MODELS else groups_by_name().get(requested_model)
    if requested_model not in AUTO_MODELS and named_group is None:
        raise GatewayError(404, f"The model {requested_model!r} does not exist on this gateway: use 'auto' or one of "
                           f"{', '.join(groups_by_name())}.", param="model", code="model_not_found")

    rules = []
    if named_group:
        group_task, group_privacy = named_group
        if privacy == "strict" and group_privacy != "strict":
            raise GatewayError(403, f"Model group {requested_model!r} is not local; privacy_mode=strict requests "
                               "never leave the local models.", param="model")
        if privacy is not None and privacy != group_privacy:
            raise GatewayError(400, f"Model group {requested_model!r} serves privacy_mode={group_privacy}, not "
                               f"{privacy}.", param="privacy_mode")
        if task is not None and task != group_task:
            raise GatewayError(400, f"Model group {requested_model!r} serves task={group_task}, not {task}.",
                               param="task")
        task, privacy = group_task, group_privacy
        rules.append(f"model:{requested_model}")

    routing = gateway_settings("routing")
    if privacy is None:
        privacy = routing.get("default_privacy", "strict")
        rules.append("privacy:default")
    elif not named_group:
        rules.append(f"privacy:{privacy_carrier}")
    if task is None:
        shown = data.get("messages") if messages is None else messages
        task = "vision" if has_image_part(shown) else routing.get("default_task", "chat")
        rules.append("task:image-part" if task == "vision" else "task:default")
    elif not named_group:
        rules.append(f"task:{task_carrier}")

    group = group_table()[task][privacy]
    return RouteDecision(task=task, privacy=privacy, group=group, rule=",".join(rules))


def escalate_to_strict(decision: RouteDecision, reason: str) -> RouteDecision:
    """The same task on its strict (local) group, with the reason recorded in the rule."""
    return RouteDecision(task=decision.task, privacy="strict", group=group_table()[decision.task]["strict"],
                         rule=f"{decision.rule},escalated:{reason}")
