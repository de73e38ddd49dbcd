"""`scripts/download_models`: fetch the configured embedding models and the transcription model
(`gateway.transcription.source`, faster-whisper) into the Hugging Face cache. With `--missing`
(what `scripts/serve` runs before every start) only models not already here are fetched, and each
one that cannot be fetched gets one line saying what it disables; the gateway then starts anyway.

The gateway loads models with `from_pretrained`, which reads this same cache, so after this has
run the gateway starts without network access (set HF_HUB_OFFLINE=1 to make sure). Only the files
`from_pretrained` needs are fetched: configs, tokenizer/processor files and one copy of the
weights (safetensors when the repo has them), not ONNX or other exports in sub-folders.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import yaml

from embedding_server.settings import ModelSpec, parse_settings

CONFIG_SUFFIXES = (".json", ".model", ".txt", ".py")
TRANSCRIPTION = "transcription"  # the name that selects gateway.transcription.source
# What faster-whisper reads from a model repo (its own download_model list), so its offline load finds them.
WHISPER_FILES = ["config.json", "preprocessor_config.json", "model.bin", "tokenizer.json", "vocabulary.*"]


def files_to_fetch(repo_files: list[str]) -> list[str]:
    """Top-level configs and tokenizer files, plus safetensors weights if present (else .bin)."""
    top = [name for name in repo_files if "/" not in name]
    weights = [name for name in top if name.endswith(".safetensors")] or [name for name in top if name.endswith(".bin")]
    return sorted({name for name in top if name.endswith(CONFIG_SUFFIXES)} | set(weights))


def download(spec: ModelSpec, revision: str | None = None) -> Path | None:
    """Download one model (hub id) with progress bars; a local directory is left alone."""
    from huggingface_hub import HfApi, snapshot_download

    if Path(spec.source).expanduser().is_dir():
        print(f"{spec.name}: {spec.source} is a local directory; nothing to download.")
        return None
    files = files_to_fetch(HfApi().list_repo_files(spec.source, revision=revision))
    print(f"{spec.name}: downloading {spec.source} ({len(files)} files)")
    return Path(snapshot_download(spec.source, revision=revision, allow_patterns=files))


def download_transcription(source: str, revision: str | None = None) -> Path | None:
    """Download a faster-whisper model (a name such as large-v3-turbo, or a hub id) with progress bars."""
    from faster_whisper.utils import available_models
    from huggingface_hub import snapshot_download

    if Path(source).expanduser().is_dir():
        print(f"{TRANSCRIPTION}: {source} is a local directory; nothing to download.")
        return None
    if "/" not in source and source not in available_models():
        raise ValueError(f"unknown faster-whisper model {source!r}; names: {', '.join(available_models())}")
    from faster_whisper.utils import _MODELS

    repo = source if "/" in source else _MODELS[source]
    print(f"{TRANSCRIPTION}: downloading {source} ({repo})")
    return Path(snapshot_download(repo, revision=revision, allow_patterns=WHISPER_FILES))


def _hub_unreachable(timeout_s: float = 5.0) -> str | None:
    """Why the Hugging Face hub (HF_ENDPOINT) cannot be reached, or None: one quick probe, so an offline
    machine costs a moment at start, not a timeout per file."""
    import httpx
    from huggingface_hub import constants

    try:
        httpx.head(constants.ENDPOINT, timeout=timeout_s)
    except httpx.HTTPError as error:
        return f"{constants.ENDPOINT} is unreachable ({type(error).__name__})"
    return None


def _transcription_source(config: dict) -> str:
    from plugins.platform.whisper_source import resolve_source

    section = (config.get("gateway") or {}).get("transcription") or {}
    return resolve_source(str(section.get("source") or "auto"), str(section.get("device") or "auto"))


def provision(config: dict, online: bool, revision: str | None = None) -> list[str]:
    """Fetch what the config needs and is not here (online), and say in one line per model what a model
    that could not be fetched disables. Returns the names of those models."""
    from plugins.platform.whisper_source import is_path, whisper_cached

    settings = parse_settings((config.get("gateway") or {}).get("embeddings"))
    routes = {group: modality for modality, group in settings.seed_routes.items()}
    wanted: list[tuple[str, str, bool, str]] = []  # (name, source, here, what it disables)
    if settings.enabled:
        for name, spec in settings.models.items():
            route = f" and /v1/embeddings/{routes[name]}" if name in routes else ""
            wanted.append((name, spec.source, _weights_cached(spec.source),
                           f"/v1/embeddings with model {name}{route}"))
    source = _transcription_source(config)
    wanted.append((TRANSCRIPTION, source, whisper_cached(source),
                   "strict audio and video, the sensitive-data scan of flexible audio (answered 503) and "
                   "/v1/audio/transcriptions"))
    missing = [entry for entry in wanted if not entry[2]]
    unreachable = _hub_unreachable() if online and missing else None
    failed = []
    for name, source, _, disables in missing:
        reason = "is not downloaded and HF_HUB_OFFLINE=1" if not online else unreachable
        if is_path(source):
            reason = "is a directory that does not exist"
        elif reason is None:
            try:
                if name == TRANSCRIPTION:
                    download_transcription(source, revision)
                else:
                    download(settings.models[name], revision)
                continue
            except Exception as error:  # keep going: one model that cannot be fetched must not stop the rest
                reason = f"could not be fetched ({type(error).__name__}: {str(error).splitlines()[0][:160]})"
        print(f"serve: model {name} ({source}) {reason}: {disables} unavailable until "
              f"`scripts/download_models {name}` succeeds.", file=sys.stderr, flush=True)
        failed.append(name)
    return failed


def _weights_cached(source: str) -> bool:
    """A local directory, or a hub id in the cache (whatever HF_HUB_OFFLINE says)."""
    if Path(source).expanduser().is_dir():
        return True
    from huggingface_hub import try_to_load_from_cache

    try:
        return isinstance(try_to_load_from_cache(source, "config.json"), str)
    except ValueError:
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", help="model groups to fetch, or 'transcription' (default: all "
                        "in gateway.embeddings.models, and the transcription model)")
    parser.add_argument("--config", default="litellm_config.yaml", help="gateway config (default: %(default)s)")
    parser.add_argument("--revision", default=None, help="hub revision (branch, tag or commit)")
    parser.add_argument("--missing", action="store_true", help="only what is not here yet; report, never fail "
                        "(scripts/serve runs this before each start)")
    args = parser.parse_args(argv)
    config = yaml.safe_load(Path(args.config).read_text()) or {}
    if args.missing:
        online = os.environ.get("HF_HUB_OFFLINE", "").strip().lower() not in ("1", "true", "yes", "on")
        provision(config, online, args.revision)
        return 0
    settings = parse_settings((config.get("gateway") or {}).get("embeddings"))
    transcription = _transcription_source(config)
    unknown = sorted(set(args.models) - set(settings.models) - {TRANSCRIPTION})
    if unknown:
        parser.error(f"unknown model group(s) {unknown}; configured: {sorted(settings.models)}")
    failed = []
    for name in args.models or [*settings.models, TRANSCRIPTION]:
        try:
            if name == TRANSCRIPTION:
                where = download_transcription(transcription, args.revision)
            else:
                where = download(settings.models[name], args.revision)
            if where:
                print(f"{name}: ready in {where}")
        except Exception as error:  # keep going: one unreachable model should not stop the others
            print(f"{name}: download failed: {type(error).__name__}: {error}", file=sys.stderr)
            failed.append(name)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
