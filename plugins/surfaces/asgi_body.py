"""A request body inside the ASGI layer, read once and handed on: the middleware checks a JSON body,
the multipart surface turns a form into JSON, and a background job replays the body it was created with.
Each hands the app the body it holds and then whatever the client sends next.

A module of its own so that the middleware (request_guard.py) and what it starts (background.py,
multipart.py) share it without importing each other.
"""

from __future__ import annotations

from starlette.types import Message, Receive


def replay_body(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands the app `body` (already read) and then whatever the client sends next."""
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
