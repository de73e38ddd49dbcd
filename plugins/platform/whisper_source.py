"""Which Whisper model `gateway.transcription.source` means, and whether it is on this machine.

`source: auto` picks by device: `large-v3-turbo` where CTranslate2 sees a GPU, `base` on a CPU-only
host, where the larger model would make the sensitive-data scan of flexible audio cost minutes instead
of seconds. Kept free of heavy imports: `scripts/serve` and `scripts/download_models` use it before
the gateway starts.
"""

from __future__ import annotations

import os
from pathlib import Path

AUTO = "auto"
AUTO_BY_DEVICE = {"cuda": "large-v3-turbo", "cpu": "base"}


def cuda_visible() -> bool:
    """Whether CTranslate2 (faster-whisper's engine) sees a CUDA device. Without an NVIDIA driver it cannot,
    and CTranslate2 is not imported to ask (an idle CPU gateway imports no model library)."""
    if not any(os.path.exists(path) for path in ("/proc/driver/nvidia/version", "/dev/nvidiactl", "/dev/dxg")):
        return False
    try:
        import ctranslate2

        return ctranslate2.get_cuda_device_count() > 0
    except Exception:  # no CUDA runtime, broken driver: a CPU host for our purposes
        return False


def resolve_source(source: str, device: str = "auto") -> str:
    """The model name or directory behind `source`; `auto` by device (gateway.transcription.device)."""
    if str(source).strip().lower() != AUTO:
        return str(source)
    kind = str(device or "auto").strip().lower().partition(":")[0]
    if kind not in AUTO_BY_DEVICE:
        kind = "cuda" if cuda_visible() else "cpu"
    return AUTO_BY_DEVICE[kind]


def whisper_repo(name: str) -> str:
    """The hub repo faster-whisper fetches for a model name ("small" -> Systran/faster-whisper-small), read
    from its `_MODELS` table without importing it (importing faster_whisper loads CTranslate2 and PyAV)."""
    if "/" in name:
        return name
    import ast
    import importlib.util

    spec = importlib.util.find_spec("faster_whisper")
    folder = (spec.submodule_search_locations or [""])[0] if spec else ""
    source = (Path(folder) / "utils.py").read_text() if folder else ""
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "_MODELS" for t in node.targets):
            return ast.literal_eval(node.value).get(name, name)
    return name


def is_path(source: str) -> bool:
    return Path(source).expanduser().is_dir() or source.startswith(("/", ".", "~"))


def whisper_cached(source: str) -> bool:
    """Whether the model is here: a local directory, or a hub model in the Hugging Face cache."""
    if Path(source).expanduser().is_dir():
        return True
    if is_path(source):
        return False
    from huggingface_hub import try_to_load_from_cache

    try:
        return isinstance(try_to_load_from_cache(whisper_repo(source), "model.bin"), str)
    except ValueError:  # not a valid hub id
        return False


def whisper_present(source: str) -> bool:
    """Whether the model can load: here already, or (online) faster-whisper may still download it."""
    if whisper_cached(source):
        return True
    from huggingface_hub import constants

    return not is_path(source) and not constants.HF_HUB_OFFLINE
