"""Wire-faithful emulators of the gateway's backends (Ollama, Gemini), for tests and benchmarks."""

from tests.backends.faults import Fault
from tests.backends.gemini import GeminiEmulator
from tests.backends.ollama import OllamaEmulator

__all__ = ["Fault", "GeminiEmulator", "OllamaEmulator"]
