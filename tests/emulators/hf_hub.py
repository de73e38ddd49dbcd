"""The Hugging Face hub's download API, serving model repos from local directories, so the gateway's
real download path (huggingface_hub's snapshot_download and list_repo_files, pointed here by HF_ENDPOINT)
is tested without the internet.

As the hub answers (huggingface_hub's file_download.get_hf_file_metadata and hf_api read these):
`GET /api/models/{repo}/revision/{rev}` is the repo info (`sha`, `siblings`); `GET /api/models/{repo}/tree/
{rev}` lists files (`type`, `path`, `size`, `oid`); `HEAD|GET /{repo}/resolve/{rev}/{file}` carries
`X-Repo-Commit`, `ETag` and `Content-Length` (no Xet headers: the client then downloads over plain HTTP).
An unknown repo is 404 with `X-Error-Code: RepoNotFound`."""

from __future__ import annotations

import hashlib
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.emulators.server import Emulator


class HubEmulator(Emulator):
    """`repos` maps a repo id ("Systran/faster-whisper-tiny.en") to the local directory it serves."""

    def __init__(self, repos: dict[str, str | Path]) -> None:
        self.repos = {repo: Path(folder) for repo, folder in repos.items()}
        super().__init__(Starlette(routes=[
            Route("/", self._root, methods=["GET", "HEAD"]),
            Route("/api/models/{repo:path}/revision/{revision}", self._info, methods=["GET"]),
            Route("/api/models/{repo:path}/tree/{revision}", self._tree, methods=["GET"]),
            Route("/{repo:path}/resolve/{revision}/{file:path}", self._resolve, methods=["GET", "HEAD"]),
        ]))

    def _files(self, repo: str) -> list[Path]:
        folder = self.repos[repo]
        return sorted(path for path in folder.rglob("*") if path.is_file())

    def _sha(self, repo: str) -> str:
        return hashlib.sha1(repo.encode()).hexdigest()  # a commit hash: 40 hex digits, stable per repo

    @staticmethod
    def _missing(repo: str) -> Response:
        return JSONResponse({"error": "Repository not found"}, status_code=404,
                            headers={"X-Error-Code": "RepoNotFound", "X-Error-Message": f"{repo} not found"})

    async def _root(self, request: Request) -> Response:
        return Response("Hugging Face hub emulator", media_type="text/plain")

    async def _info(self, request: Request) -> Response:
        repo = request.path_params["repo"]
        if repo not in self.repos:
            return self._missing(repo)
        siblings = [{"rfilename": path.relative_to(self.repos[repo]).as_posix()} for path in self._files(repo)]
        return JSONResponse({"_id": repo, "id": repo, "modelId": repo, "sha": self._sha(repo), "private": False,
                             "disabled": False, "gated": False, "tags": [], "siblings": siblings})

    async def _tree(self, request: Request) -> Response:
        repo = request.path_params["repo"]
        if repo not in self.repos:
            return self._missing(repo)
        entries = [{"type": "file", "path": path.relative_to(self.repos[repo]).as_posix(), "size": path.stat().st_size,
                    "oid": hashlib.sha1(path.read_bytes()).hexdigest()} for path in self._files(repo)]
        return JSONResponse(entries)

    async def _resolve(self, request: Request) -> Response:
        repo, name = request.path_params["repo"], request.path_params["file"]
        path = self.repos.get(repo, Path("/nonexistent")) / name
        if repo not in self.repos:
            return self._missing(repo)
        if not path.is_file():
            return JSONResponse({"error": "Entry not found"}, status_code=404,
                                headers={"X-Error-Code": "EntryNotFound"})
        data = path.read_bytes()
        headers = {"X-Repo-Commit": self._sha(repo), "ETag": f'"{hashlib.sha256(data).hexdigest()}"',
                   "Content-Length": str(len(data)), "Accept-Ranges": "bytes"}
        if request.method == "HEAD":
            return Response(status_code=200, headers=headers)
        return Response(data, headers=headers, media_type="application/octet-stream")
