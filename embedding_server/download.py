"""`scripts/download_models`: fetch the configured embedding models and the transcription model
(`gateway.transcription.source`, faster-whisper) into the Hugging Face cache.

The gateway loads models with `from_pretrained`, which reads this same cache, so after this has
run the gateway starts without network access (set HF_HUB_OFFLINE=1 to make sure). Only the files
`from_pretrained` needs are fetched: configs, tokenizer/processor files and one copy of the
weights (safetensors when the repo has them), not ONNX or other exports in sub-folders.
"""

from __future__ import annotations

import argparse
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", help="model groups to fetch, or 'transcription' (default: all "
                        "in gateway.embeddings.models, and the transcription model)")
    parser.add_argument("--config", default="litellm_config.yaml", help="gateway config (default: %(default)s)")
    parser.add_argument("--revision", default=None, help="hub revision (branch, tag or commit)")
    args = parser.parse_args(argv)
    config = yaml.safe_load(Path(args.config).read_text()) or {}
    settings = parse_settings((config.get("gateway") or {}).get("embeddings"))
    transcription = ((config.get("gateway") or {}).get("transcription") or {}).get("source")
    unknown = sorted(set(args.models) - set(settings.models) - {TRANSCRIPTION})
    if unknown:
        parser.error(f"unknown model group(s) {unknown}; configured: {sorted(settings.models)}")
    failed = []
    for name in args.models or [*settings.models, *([TRANSCRIPTION] if transcription else [])]:
        try:
            if name == TRANSCRIPTION:
                where = download_transcription(str(transcription or "large-v3-turbo"), args.revision)
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
