"""Wire-faithful emulators of the gateway's backends (Ollama, Gemini): real HTTP servers in threads,
so the real clients (LiteLLM, google-genai) can be tested against them without the services."""

from tests.emulators.gemini import GeminiEmulator, GeminiError, StoredFile
from tests.emulators.ollama import OllamaEmulator
from tests.emulators.server import Emulator, Fault, Recorded, ServerThread

__all__ = ["Emulator", "Fault", "GeminiEmulator", "GeminiError", "OllamaEmulator", "Recorded", "ServerThread",
           "StoredFile"]
