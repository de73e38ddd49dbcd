"""Large flexible-mode attachments go to the Gemini File API through google-genai.

Uploads are resumable and streamed from the spooled file in chunks (google-genai reads 8 MB at
a time, never the whole file), started again after a transient failure, then polled until ACTIVE
with backoff and a deadline. An upload of the same bytes by the same key is reused within its
lifetime instead of uploading again. Only flexible requests ever reach this module.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, BinaryIO

from fastapi import HTTPException

from plugins.platform.metrics import record
from plugins.platform.settings import gateway_settings

if TYPE_CHECKING:
    from plugins.platform.shared_redis import SharedRedis


@dataclass
class UploadedFile:
    name: str  # "files/abc"
    uri: str
    mime: str
    expires_at: float


def _settings() -> dict:
    return gateway_settings("attachments")["file_api"] or {}


class UploadCache:
    """(key scope, sha256) -> uploaded file. One key never sees another's URIs.

    With Redis configured (REDIS_URL / REDIS_HOST, docs/SCALING.md) entries live there, under
    `<key_prefix>upload:<hashed scope>:<sha256>` and expiring with the reuse window, so a file uploaded
    through one replica is reused by every other. Without Redis, and while Redis is down, they live in
    this process."""

    def __init__(self, redis: SharedRedis | None = None) -> None:
        self._entries: dict[tuple[str, str], UploadedFile] = {}
        self._redis = redis

    @classmethod
    def from_environment(cls) -> UploadCache:
        """Redis-backed when the environment names a Redis, in-memory otherwise."""
        from plugins.platform.shared_redis import shared_redis

        return cls(shared_redis("File API upload reuse cache"))

    @staticmethod
    def _redis_key(scope: str, sha256: str) -> str:
        from plugins.platform.shared_redis import key_prefix

        hashed_scope = hashlib.sha256(scope.encode()).hexdigest()[:32]  # no key material in key names
        return f"{key_prefix()}upload:{hashed_scope}:{sha256}"

    async def get(self, scope: str, sha256: str) -> UploadedFile | None:
        if self._redis is not None:
            ok, raw = await self._redis.run(lambda client: client.get(self._redis_key(scope, sha256)))
            if ok and raw:
                entry = UploadedFile(**json.loads(raw))
                if entry.expires_at > time.time():
                    return entry
        kept = self._entries.get((scope, sha256))  # without Redis, or put while Redis was down
        if kept and kept.expires_at > time.time():
            return kept
        self._entries.pop((scope, sha256), None)
        return None

    async def put(self, scope: str, sha256: str, entry: UploadedFile) -> None:
        if self._redis is not None:
            ttl_s = max(1, int(entry.expires_at - time.time()))
            value = json.dumps(asdict(entry))
            ok, _ = await self._redis.run(lambda client: client.set(self._redis_key(scope, sha256), value, ex=ttl_s))
            if ok:
                return
        now = time.time()
        if len(self._entries) >= int(_settings()["cache_max_entries"]):  # expired entries go first
            self._entries = {key: value for key, value in self._entries.items() if value.expires_at > now}
        self._entries[(scope, sha256)] = entry

    async def forget(self, scope: str, sha256: str) -> None:
        if self._redis is not None:
            await self._redis.run(lambda client: client.delete(self._redis_key(scope, sha256)))
        self._entries.pop((scope, sha256), None)


class FileApi:
    """Uploads to the Gemini File API; the client honours GOOGLE_GEMINI_BASE_URL."""

    def __init__(self, cache: UploadCache | None = None) -> None:
        self.cache = cache or UploadCache()  # in-memory; the gateway's own instance is built below
        self._client: Any = None

    @property
    def client(self):
        if self._client is None:
            from google import genai

            api_key = os.environ.get("GEMINI_API_KEY")
            if not api_key:
                raise HTTPException(503, "GEMINI_API_KEY is not set: large flexible attachments need the File API.")
            # v1beta: the API version whose file URIs LiteLLM passes to Gemini as file_data.
            version = str(_settings()["api_version"])
            self._client = genai.Client(api_key=api_key, http_options={"api_version": version})
        return self._client

    async def _is_active(self, entry: UploadedFile) -> bool:
        try:
            found = await self.client.aio.files.get(name=entry.name)
        except Exception:
            return False
        return getattr(found.state, "name", str(found.state)) == "ACTIVE"

    async def upload(self, stream: BinaryIO, mime: str, sha256: str, scope: str) -> UploadedFile:
        """The file's URI, reusing this key's earlier upload of the same bytes when it is still there."""
        cached = await self.cache.get(scope, sha256)
        if cached and await self._is_active(cached):
            record("uploads", "reused")
            return cached
        await self.cache.forget(scope, sha256)
        try:
            uploaded = await self._upload_with_retries(stream, mime, sha256)
            active = await self._wait_until_active(uploaded.name)
        except HTTPException:
            record("uploads", "failed")
            raise
        except Exception as error:
            record("uploads", "failed")
            raise HTTPException(502, f"Gemini File API upload failed: {error}") from None
        record("uploads", "expired_reupload" if cached else "uploaded")
        lifetime_s = float(_settings()["reuse_for_hours"]) * 3600
        entry = UploadedFile(name=active.name, uri=active.uri, mime=mime, expires_at=time.time() + lifetime_s)
        if not self.deletes_after_request():
            await self.cache.put(scope, sha256, entry)
        return entry

    async def _upload_with_retries(self, stream: BinaryIO, mime: str, sha256: str) -> Any:
        """One resumable upload (google-genai sends 8 MB chunks and retries a chunk the server did not
        take), started again from the first byte after a 5xx or a dropped connection, `upload_attempts`
        times in all with doubling pauses from `upload_retry_s`. A 4xx is final."""
        from google.genai import errors

        async def upload() -> Any:
            stream.seek(0)
            return await self.client.aio.files.upload(
                file=stream, config={"mime_type": mime, "display_name": f"gateway-{sha256[:16]}"})

        attempts, pause = max(1, int(_settings()["upload_attempts"])), float(_settings()["upload_retry_s"])
        for attempt in range(1, attempts):
            try:
                return await upload()
            except errors.ClientError:
                raise
            except Exception:
                record("uploads", "retried")
                await asyncio.sleep(pause * 2 ** (attempt - 1))
        return await upload()  # the last attempt: its failure is the caller's

    @staticmethod
    def deletes_after_request() -> bool:
        """Config `file_api.after_request`: "keep" (reuse until expiry, default) or "delete"."""
        return str(_settings()["after_request"]) == "delete"

    async def delete_request_uploads(self, route: dict | None) -> None:
        """With `after_request: delete`, remove the files this request uploaded once it is answered."""
        if not route or not self.deletes_after_request():
            return
        for attachment in route.get("attachment_log") or []:
            if attachment.get("file_uri"):
                await self.delete("files/" + attachment["file_uri"].rsplit("/", 1)[-1])

    async def _wait_until_active(self, name: str):
        settings = _settings()
        delay = float(settings["poll_initial_s"])
        max_delay = float(settings["poll_max_s"])
        deadline = time.monotonic() + float(settings["processing_deadline_s"])
        while True:
            try:
                found = await self.client.aio.files.get(name=name)
            except Exception as error:
                raise HTTPException(502, f"Gemini File API status check failed for {name}: {error}") from None
            state = getattr(found.state, "name", str(found.state))
            if state == "ACTIVE":
                return found
            if state == "FAILED":
                reason = getattr(found.error, "message", None) or "no reason given"
                raise HTTPException(502, f"Gemini File API could not process {name}: {reason}")
            if time.monotonic() + delay > deadline:
                raise HTTPException(504, f"Gemini File API file {name} still {state} after the processing deadline.")
            await asyncio.sleep(delay)
            delay = min(delay * 2, max_delay)

    async def delete(self, name: str) -> None:
        try:
            await self.client.aio.files.delete(name=name)
        except Exception:
            pass  # the file expires on its own after 48 h


@functools.lru_cache(maxsize=1)
def file_api() -> FileApi:
    """The process's File API client, built on first use (importing this module changes nothing).
    Its upload cache is shared through Redis when REDIS_URL / REDIS_HOST is set (docs/SCALING.md)."""
    return FileApi(cache=UploadCache.from_environment())
