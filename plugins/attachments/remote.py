"""http(s) attachment URLs, fetched by the gateway itself so their bytes are typed, scanned and sent
like an upload (LiteLLM would fetch them and send them to Gemini inline, unread).

Bounded: `gateway.attachments.fetch` sets the timeout, the redirects followed and whether private
addresses (loopback, RFC 1918, link-local such as cloud metadata) may be fetched; the body is read up
to `gateway.attachments.max_request_mb` into a spooled temporary file. The connection goes to the
address that was checked (the host name kept for `Host` and TLS), so a name that resolves somewhere
else the second time (DNS rebinding) cannot reach a private address.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import tempfile
from typing import BinaryIO, cast
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from plugins.platform.errors import GatewayError
from plugins.platform.settings import gateway_settings

MB = 1024 * 1024


def _settings() -> dict:
    return gateway_settings("attachments")["fetch"] or {}


async def _checked_address(url: str, where: str) -> str | None:
    """The public address to connect to for `url` (None when private hosts are allowed: any will do);
    400 when it is not http(s), does not resolve, or resolves to any private address."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise GatewayError(400, f"{where}: only http(s) URLs (or data: URLs) are fetched.", param=where)
    if _settings()["private_hosts"]:
        return None
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except OSError:
        raise GatewayError(400, f"{where}: the host {parts.hostname!r} could not be resolved.", param=where) from None
    for info in infos:
        if not ipaddress.ip_address(info[4][0]).is_global:
            raise GatewayError(400, f"{where}: {parts.hostname!r} is a private address; the gateway fetches only "
                               "public URLs (gateway.attachments.fetch.private_hosts).", param=where)
    return str(infos[0][4][0])


def _pinned(url: str, address: str | None) -> tuple[str, dict[str, str], dict[str, str]]:
    """(URL with the checked address for its host, headers, httpx extensions): `Host` and the TLS server
    name stay the URL's own, so virtual hosts and certificates work as usual."""
    if address is None:
        return url, {}, {}
    parts = urlsplit(url)
    host = f"[{address}]" if ":" in address else address
    target = urlunsplit(parts._replace(netloc=host + (f":{parts.port}" if parts.port else "")))
    return target, {"Host": parts.netloc.rpartition("@")[2]}, {"sni_hostname": str(parts.hostname)}


async def fetch_url(url: str, where: str) -> tuple[BinaryIO, int]:
    """(spooled body, size) of a public http(s) URL, or a 400 naming `where` when it cannot be had
    within `fetch.timeout_s` (the whole fetch, redirects included)."""
    settings = _settings()
    if not settings["enabled"]:
        raise GatewayError(400, f"{where}: URL attachments are not fetched here (gateway.attachments.fetch.enabled); "
                           "send the file's bytes (a data: URL or a multipart upload).", param=where)
    try:  # asyncio.wait_for, not asyncio.timeout: the gateway runs on Python 3.10 too
        return await asyncio.wait_for(_follow(url, where, int(settings["max_redirects"])), float(settings["timeout_s"]))
    except asyncio.TimeoutError:
        raise GatewayError(400, f"{where}: the URL did not answer within gateway.attachments.fetch.timeout_s.",
                           param=where) from None


async def _follow(url: str, where: str, max_redirects: int) -> tuple[BinaryIO, int]:
    limit = int(float(gateway_settings("attachments")["max_request_mb"]) * MB)
    async with httpx.AsyncClient(follow_redirects=False, trust_env=False) as client:
        for _ in range(max_redirects + 1):
            target, headers, extensions = _pinned(url, await _checked_address(url, where))
            try:
                async with client.stream("GET", target, headers=headers, extensions=extensions) as response:
                    if response.is_redirect and response.headers.get("location"):
                        url = urljoin(url, response.headers["location"])
                        continue
                    if response.status_code != 200:
                        raise GatewayError(400, f"{where}: fetching the URL answered HTTP {response.status_code}.",
                                           param=where)
                    return await _spool(response, limit, where)
            except httpx.HTTPError as error:
                raise GatewayError(400, f"{where}: the URL could not be fetched ({type(error).__name__}).",
                                   param=where) from None
    raise GatewayError(400, f"{where}: more than {max_redirects} redirects.", param=where)


async def _spool(response: httpx.Response, limit: int, where: str) -> tuple[BinaryIO, int]:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise GatewayError(413, f"{where}: the file is larger than gateway.attachments.max_request_mb.", param=where)
    body = cast(BinaryIO, tempfile.SpooledTemporaryFile(max_size=8 * MB))  # noqa: SIM115 - the Attachment owns it
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            body.close()
            raise GatewayError(413, f"{where}: the file is larger than gateway.attachments.max_request_mb.",
                               param=where)
        body.write(chunk)
    body.seek(0)
    return body, size
