"""Turn backend failures into errors a user can act on, as the seed's troubleshooting section does."""

from __future__ import annotations

import re

from fastapi import HTTPException

NOT_PULLED = re.compile(r'model ["\\]*"?([^"\\]+)["\\]*"? not found', re.IGNORECASE)
UNREACHABLE = ("Cannot connect", "Connection refused", "Connect call failed", "ConnectError", "nodename nor servname")


def local_failure(route: dict[str, str] | None, error: Exception) -> HTTPException | None:
    """A clear 404/503 for strict requests that Ollama could not serve; None to keep LiteLLM's error."""
    if not route or route.get("privacy") != "strict":
        return None
    message = str(getattr(error, "message", "") or error)
    missing = NOT_PULLED.search(message)
    if missing or getattr(error, "status_code", None) == 404:
        model = missing.group(1) if missing else route["group"]
        return HTTPException(
            404, f"Model '{model}' is not available in Ollama (group {route['group']}). Pull it: ollama pull {model}"
        )
    if any(marker in message for marker in UNREACHABLE):
        return HTTPException(
            503, f"Ollama is not reachable for {route['group']}: start it (ollama serve) and check OLLAMA_API_BASE. "
            "Strict requests are never sent to a cloud model instead."
        )
    return None
