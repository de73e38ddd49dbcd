"""Serve one of the test emulators (tests/emulators) on 0.0.0.0:PORT, standing in for Ollama or Gemini in
the compose stack that scripts/deploy_check starts (deploy/offline/compose.offline.yaml)."""

from __future__ import annotations

import sys

import uvicorn

from tests.emulators import GeminiEmulator, OllamaEmulator
from tests.gateway_process import GEMINI_KEY


def main(kind: str, port: int) -> None:
    emulator = OllamaEmulator() if kind == "ollama" else GeminiEmulator(api_key=GEMINI_KEY)
    uvicorn.run(emulator._asgi, host="0.0.0.0", port=port, interface="asgi3", log_level="warning",
                access_log=False)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
