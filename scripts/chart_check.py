"""Render deploy/helm/llm-gateway as `helm template` would, for each value set below, lint it, and validate
every rendered manifest against the Kubernetes schemas (strict: unknown fields are errors). Run through
scripts/chart_check, which provides the two packages. Exits 1 on the first problem it reports."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import helm_python as helm
import kubernetes_validate
import yaml

CHART = Path(__file__).resolve().parent.parent / "deploy" / "helm" / "llm-gateway"
SECRETS = {"masterKey": "sk-test", "geminiApiKey": "g", "databaseUrl": "postgresql://u:p@pg:5432/litellm",
           "redisUrl": "redis://:p@redis:6379/0"}
VALUE_SETS: dict[str, dict] = {
    "defaults": {"secrets": SECRETS},
    "gpu split, shared models volume, fixed replicas": {
        "secrets": SECRETS, "embeddings": {"gpu": {"enabled": True}},
        "models": {"existingClaim": "gateway-models"}, "autoscaling": {"enabled": False}, "replicaCount": 3},
    "existing secret, no PDB": {"existingSecret": "gateway-keys", "podDisruptionBudget": {"enabled": False}},
}
EXPECTED_KINDS = {"ConfigMap", "Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Secret"}


def render(values: dict) -> list[dict]:
    with helm.Chart.load(CHART) as chart:
        files = chart.render(values, name="gw", namespace="gateway")
    return [doc for text in files.values() for doc in yaml.safe_load_all(text) if doc]


def check_front_config(manifests: list[dict]) -> None:
    """The GPU split: the gateway pods' config sends every embedding group to the embedding service."""
    config = next(m for m in manifests if m["kind"] == "ConfigMap")["data"]
    front = yaml.safe_load(config["litellm_config.yaml"])
    embedding = [m for m in front["model_list"] if m.get("model_info", {}).get("mode") == "embedding"]
    assert embedding and all(m["litellm_params"]["api_base"] == "http://gw-llm-gateway-embeddings:8765/v1"
                             for m in embedding), embedding
    assert front["gateway"]["embeddings"]["enabled"] is False
    full = yaml.safe_load(config["embeddings_config.yaml"])
    assert full["gateway"]["embeddings"]["enabled"] is True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kubernetes-version", default="1.33.0")
    version = parser.parse_args().kubernetes_version
    findings = helm.lint(CHART, VALUE_SETS["defaults"], strict=True)
    print(f"helm lint: {findings}")
    for name, values in VALUE_SETS.items():
        manifests = render(values)
        kinds = sorted(m["kind"] for m in manifests)
        for manifest in manifests:
            kubernetes_validate.validate(manifest, version, strict=True)
        if name == "defaults":
            missing = EXPECTED_KINDS - set(kinds)
            assert not missing, f"missing kinds: {missing}"
        if values.get("embeddings"):
            check_front_config(manifests)
        print(f"ok: {name}: {len(manifests)} manifests valid for Kubernetes {version}: {', '.join(kinds)}")


if __name__ == "__main__":
    try:
        main()
    except (helm.HelmError, kubernetes_validate.ValidationError, AssertionError) as exc:
        print(f"chart_check failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        raise SystemExit(1) from exc
