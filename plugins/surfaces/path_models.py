"""Azure-style routes (`/engines/{model}/...`, `/openai/deployments/{model}/...`) name the model in the path.

LiteLLM serves the path's model there, while its key check reads the body's `model`: a key allowed
only `bge-m3` could send `{"model": "bge-m3"}` to `/engines/siglip/embeddings` and get siglip. The
request guard gives the body the path's model before auth, and refuses a body naming another one.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

from plugins.platform.errors import GatewayError

PATH_MODEL = re.compile(r"^/(?:engines|openai/deployments)/([^/]+)/(?:chat/completions|completions|embeddings)$")


def path_model(path: str) -> str | None:
    """The model an Azure-style path names, or None for any other path."""
    found = PATH_MODEL.match(path)
    return unquote(found.group(1)) if found else None


def with_path_model(body: dict[str, Any], named: str) -> dict[str, Any]:
    """The body with the path's model, which is the one served (and so the one the key check must see)."""
    if body.get("model") not in (None, "", named):
        raise GatewayError(400, f"The path names model {named!r} but the body names {body.get('model')!r}; "
                           "send the same model in both, or leave 'model' out of the body.", param="model")
    return {**body, "model": named}
