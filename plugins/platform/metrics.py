"""The gateway's own Prometheus series, beside LiteLLM's `litellm_*` ones on the same `/metrics`.

Label values are bounded (task, privacy, surface, attachment kind and placement, outcome, reason,
model group): never a key, a prompt or a file name. With several workers, LiteLLM's
PROMETHEUS_MULTIPROC_DIR handling applies to these series too (docs/OBSERVABILITY.md).
"""

from __future__ import annotations

import functools
from typing import Any


@functools.lru_cache(maxsize=1)
def series() -> dict[str, Any]:
    """The series, registered on first use (importing this module registers nothing)."""
    from prometheus_client import Counter, Gauge, Histogram

    return {
        "decisions": Counter("gateway_route_decisions_total", "Routing decisions",
                             ["task", "privacy", "requested_privacy", "escalated", "surface"]),
        "attachments": Counter("gateway_attachments_total", "Attachments placed", ["kind", "placement"]),
        "attachment_bytes": Counter("gateway_attachment_bytes_total", "Attachment bytes placed",
                                    ["kind", "placement"]),
        "uploads": Counter("gateway_file_api_uploads_total", "Gemini File API uploads", ["outcome"]),
        "scan_seconds": Histogram("gateway_escalation_scan_seconds", "Sensitive-data scan time", ["kind"]),
        "escalations": Counter("gateway_escalations_total", "Requests escalated to strict", ["reason"]),
        "redactions": Counter("gateway_redactions_total", "Sensitive values replaced by placeholders", ["type"]),
        "cloud_blocked": Counter("gateway_cloud_blocked_total", "Cloud calls the last-step guard refused",
                                 ["surface"]),
        "batch_size": Histogram("gateway_embedding_batch_size", "Inputs per embedding forward pass", ["model"],
                                buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256)),
        "queue_items": Gauge("gateway_embedding_queue_items", "Embedding inputs waiting", ["model"],
                             multiprocess_mode="livesum"),
        "embedding_items": Counter("gateway_embedding_items_total", "Inputs embedded", ["model", "modality"]),
        # use: strict (chat audio/video), scan (flexible escalation check), api (/v1/audio/*)
        "transcription_audio_seconds": Counter("gateway_transcription_audio_seconds_total",
                                               "Seconds of audio transcribed locally", ["use"]),
        "transcription_seconds": Histogram("gateway_transcription_seconds", "Wall time of one local transcription",
                                           ["use"], buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)),
    }


def _safe(action: str, *labels: str, value: float = 1) -> None:
    try:
        metric = series()[action].labels(*labels)
    except Exception:  # prometheus_client missing: metrics are optional, the gateway is not
        return
    if action in ("scan_seconds", "batch_size", "transcription_seconds"):
        metric.observe(value)
    elif action == "queue_items":
        metric.set(value)
    else:
        metric.inc(value)


def record_route(route: dict[str, Any]) -> None:
    """One routing decision, its escalation and its attachments."""
    _safe("decisions", route["task"], route["privacy"], route.get("requested_privacy") or route["privacy"],
          "true" if route.get("escalated") else "false", route.get("surface", "chat"))
    if route.get("escalated"):
        _safe("escalations", route["escalated"])
    for entry in filter(None, (route.get("redacted") or "").split(",")):
        kind, _, count = entry.partition(":")
        _safe("redactions", kind, value=float(count or 1))
    for attachment in route.get("attachment_log") or []:
        _safe("attachments", attachment["kind"], attachment["placement"])
        _safe("attachment_bytes", attachment["kind"], attachment["placement"], value=attachment.get("bytes", 0))


def record(action: str, *labels: str, value: float = 1) -> None:
    """Any other series by name: uploads, scan_seconds, cloud_blocked, batch_size, queue_items, embedding_items,
    transcription_audio_seconds, transcription_seconds."""
    _safe(action, *labels, value=value)
