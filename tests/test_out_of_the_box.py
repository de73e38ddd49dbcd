"""A fresh install: the first `scripts/serve` fetches the models the config needs (here from a Hugging Face
hub emulator serving real Whisper tiny.en weights), then starts offline; a model that cannot be fetched
gets one line saying what it disables, the gateway starts anyway and /health says what is degraded."""

from __future__ import annotations

import io
import socket
import time

import httpx
import numpy as np
import pytest
import soundfile

from tests.conftest import whisper_tiny_dir
from tests.emulators.hf_hub import HubEmulator
from tests.helpers import chat_bodies, gemini_parts
from tests.test_audio import CLEAN, chat, speech

WHISPER_REPO = "Systran/faster-whisper-tiny.en"  # what faster-whisper fetches for the name "tiny.en"


def padded_speech(megabytes: float) -> bytes:
    """CLEAN spoken, then silence up to `megabytes` (the seed's 6 MB voice memo: File API size)."""
    pcm, rate = soundfile.read(io.BytesIO(speech(CLEAN)), dtype="int16")
    silence = np.zeros(int(megabytes * 1024 * 1024 / 2) - pcm.size, dtype="int16")
    output = io.BytesIO()
    soundfile.write(output, np.concatenate([pcm, silence]), rate, format="WAV", subtype="PCM_16")
    return output.getvalue()


def health_when_settled(gateway, timeout_s: float = 60) -> dict:
    """/health once the background loads have finished (no model still `loading`)."""
    deadline = time.monotonic() + timeout_s
    while True:
        report = httpx.get(gateway.url("/health"), timeout=30).json()
        states = [report["local_models"]["transcription"]["status"], *report["local_models"]["embeddings"].values()]
        if "loading" not in states or time.monotonic() > deadline:
            return report
        time.sleep(0.5)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def hub():
    emulator = HubEmulator({WHISPER_REPO: whisper_tiny_dir()})
    emulator.start()
    yield emulator
    emulator.stop()


def fresh_machine(tmp_path, endpoint: str) -> dict[str, str]:
    """An empty Hugging Face cache, the hub at `endpoint`, and HF_HUB_OFFLINE left to scripts/serve."""
    return {"HF_HOME": str(tmp_path / "hf-home"), "HF_ENDPOINT": endpoint, "HF_HUB_OFFLINE": ""}


TINY_WHISPER = {"gateway": {"transcription": {"source": "tiny.en", "load": "background"}}}


def test_first_serve_fetches_the_models_then_starts_offline(start_gateway, hub, tmp_path, ollama, gemini):
    gateway = start_gateway(TINY_WHISPER, env=fresh_machine(tmp_path, hub.base_url))
    assert "serve: model" not in gateway.log(), gateway.log()[-2000:]
    assert "transcription: downloading tiny.en" in gateway.log()
    fetched = [record.path for record in hub.requests if "/resolve/" in record.path and record.method == "GET"]
    assert {path.rsplit("/", 1)[1] for path in fetched} == {"config.json", "model.bin", "tokenizer.json",
                                                            "vocabulary.txt"}
    report = health_when_settled(gateway)
    assert report["status"] == "ok" and report["degraded"] == [], report
    assert report["local_models"]["transcription"] == {"model": "tiny.en", "status": "loaded"}

    # The seed's example 3: a 6 MB flexible voice memo is scanned here, then goes through the File API.
    response = chat(gateway, "flexible", "audio", padded_speech(6))
    assert response.status_code == 200, response.text
    assert [part["fileData"]["mimeType"] for part in gemini_parts(gemini) if "fileData" in part] == ["audio/wav"]
    assert chat_bodies(ollama) == []

    # Once: the next start finds everything here and asks the hub nothing.
    asked = len(hub.requests)
    again = start_gateway(TINY_WHISPER, env=fresh_machine(tmp_path, hub.base_url))
    assert len(hub.requests) == asked and "downloading" not in again.log()
    assert health_when_settled(again)["local_models"]["transcription"]["status"] == "loaded"


def test_unreachable_hub_gives_one_line_per_model_and_degraded_health(start_gateway, tmp_path, ollama, gemini):
    overrides = {"gateway": {"transcription": {"source": "tiny.en", "load": "background"},
                             "embeddings": {"models": {"clap": {"source": "laion/clap-htsat-unfused"}}}}}
    gateway = start_gateway(overrides, env=fresh_machine(tmp_path, f"http://127.0.0.1:{closed_port()}"))
    lines = [line for line in gateway.log().splitlines() if line.startswith("serve: model")]
    assert len(lines) == 2, lines  # bge-m3 and siglip are local directories: nothing to fetch
    transcription, clap = (next(line for line in lines if f"model {name} " in line) for name in ("transcription",
                                                                                                 "clap"))
    assert "unreachable" in transcription and "sensitive-data scan of flexible audio" in transcription
    assert "scripts/download_models transcription" in transcription
    assert "/v1/embeddings with model clap and /v1/embeddings/audio" in clap

    report = health_when_settled(gateway)
    assert report["status"] == "degraded"
    assert report["local_models"]["transcription"] == {"model": "tiny.en", "status": "failed"}
    assert report["local_models"]["embeddings"] == {"bge-m3": "loaded", "siglip": "loaded", "clap": "failed"}
    assert any(item.startswith("transcription:") for item in report["degraded"])
    assert "embeddings: model clap" in report["degraded"]
    assert "127.0.0.1" not in str(report) and str(tmp_path) not in str(report)

    # Still serving what it has; flexible audio, which cannot be scanned, is refused rather than uploaded.
    assert gateway.client().embeddings.create(model="bge-m3", input="still here").data
    response = chat(gateway, "flexible", "audio", speech(CLEAN))
    assert response.status_code == 503 and "scripts/download_models" in response.json()["error"]["message"]
    assert [r for r in gemini.requests if r.method != "GET"] == [] and chat_bodies(ollama) == []  # /health: GET models


def test_auto_transcription_model_follows_the_device():
    from plugins.platform.whisper_source import AUTO_BY_DEVICE, cuda_visible, resolve_source

    assert resolve_source("auto", "cpu") == "base"
    assert resolve_source("auto", "cuda:1") == resolve_source("AUTO", "cuda") == "large-v3-turbo"
    assert resolve_source("auto", "auto") == AUTO_BY_DEVICE["cuda" if cuda_visible() else "cpu"]
    assert resolve_source("small", "cuda") == "small" and resolve_source("/models/w", "cpu") == "/models/w"
