"""Prometheus metrics: LiteLLM's own series and the gateway's, behind a key, with bounded labels."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import yaml

from tests import media

ROOT = Path(__file__).resolve().parent.parent
IBAN = "ES9121000418450200051332"


def scrape(gateway) -> str:
    response = httpx.get(gateway.url("/metrics"), headers=gateway.auth, timeout=30)
    assert response.status_code == 200, response.text
    return response.text


def value(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{key}="{wanted}"' in line for key, wanted in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_metrics_need_a_key(gateway):
    assert httpx.get(gateway.url("/metrics"), timeout=30).status_code == 401


def test_gateway_series_count_the_traffic(gateway, ollama, gemini):
    before = scrape(gateway)
    client = gateway.client()
    client.chat.completions.create(model="auto", messages=[{"role": "user", "content": "hi"}])
    client.chat.completions.create(model="auto", messages=[{"role": "user", "content": "hi"}],
                                   extra_body={"privacy_mode": "flexible"})
    client.chat.completions.create(model="auto", messages=[{"role": "user", "content": f"pay {IBAN}"}],
                                   extra_body={"privacy_mode": "flexible"})
    httpx.post(gateway.url("/v1/chat/completions"), headers=gateway.auth, timeout=120, data={
        "privacy_mode": "flexible", "messages": json.dumps([{"role": "user", "content": [
            {"type": "text", "text": "listen"}, {"type": "audio", "file_index": 0}]}])},
        files={"files": ("a.mp3", media.mp3(6 * media.MB, seed=77), "audio/mpeg")})
    client.embeddings.create(model="bge-m3", input=["a", "b", "c"])
    after = scrape(gateway)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("gateway_route_decisions_total", privacy="strict", requested_privacy="strict", surface="chat") >= 1
    assert grew("gateway_route_decisions_total", privacy="flexible", escalated="false") >= 2
    assert grew("gateway_route_decisions_total", privacy="strict", requested_privacy="flexible",
                escalated="true") >= 1
    assert grew("gateway_escalations_total", reason="sensitive-data") >= 1
    assert grew("gateway_attachments_total", kind="audio", placement="file_api") == 1
    assert grew("gateway_attachment_bytes_total", kind="audio", placement="file_api") >= 6 * media.MB
    assert grew("gateway_file_api_uploads_total") >= 1
    assert grew("gateway_embedding_items_total", model="bge-m3") == 3
    assert grew("gateway_embedding_batch_size_count", model="bge-m3") >= 1
    assert value(after, "gateway_cloud_blocked_total") == 0
    assert "litellm_" in after  # LiteLLM's own series on the same endpoint
    for secret in (gateway.master_key, IBAN, "a.mp3", "listen"):
        assert secret not in after
    for labels in re.findall(r"^gateway_\w+\{([^}]*)\}", after, flags=re.MULTILINE):
        for pair in labels.split(","):
            assert len(pair.split("=", 1)[1]) < 40, pair


def test_alert_rules_are_well_formed():
    rules = yaml.safe_load((ROOT / "docs" / "prometheus-rules.yml").read_text())
    names = set()
    for group in rules["groups"]:
        assert group["name"] and group["rules"]
        for rule in group["rules"]:
            assert rule["alert"] and rule["expr"] and rule["labels"]["severity"]
            names.add(rule["alert"])
            assert re.search(r"gateway_\w+", rule["expr"])
    assert {"GatewayCloudCallBlocked", "GatewayEmbeddingQueueSaturated", "GatewayFileApiFailures"} <= names
    dashboard = json.loads((ROOT / "docs" / "grafana-dashboard.json").read_text())
    assert all(panel["targets"][0]["expr"] for panel in dashboard["panels"])
