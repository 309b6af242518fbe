"""The viewer's HTTP server (aiohttp): token, Origin check, static page, JSON API.

Security: bound to 127.0.0.1 unless ``host`` says otherwise (then a warning); every request
needs the random token (``?token=`` once, then a cookie, or the ``X-Nodemap-Token`` header);
requests whose Origin is not this server are refused; the only files touched are the feature
set files the user names in the page.
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import secrets
import sys
import threading
import warnings
import webbrowser
from pathlib import Path
from typing import Any, Awaitable, Callable

from aiohttp import web

from . import api
from .live import Live, preview

STATIC = Path(__file__).resolve().parent / "static"
COOKIE = "nodemap_ui_token"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Server:
    """A running viewer: ``url`` (with the token), ``stop()``."""

    def __init__(self, cam: Any, host: str, port: int) -> None:
        self.cam = cam
        self.host = host
        self.token = secrets.token_urlsafe(24)
        self.live = Live(cam)
        self._graph_cache: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self.port = port
        self._thread = threading.Thread(target=self._run, name="nodemap-ui", daemon=True)
        self._thread.start()
        self._ready.wait(30)
        if self._error is not None:
            raise self._error

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.base}/?token={self.token}"

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._start())
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        self._loop.run_forever()

    async def _start(self) -> None:
        app = web.Application(middlewares=[self._guard], client_max_size=4 << 20)
        app.router.add_get("/", self._index)
        app.router.add_static("/static/", STATIC)
        app.router.add_get("/api/tree", self._tree)
        app.router.add_get("/api/feature/{name}", self._feature)
        app.router.add_get("/api/graph/{name}", self._graph)
        app.router.add_post("/api/features", self._features)
        app.router.add_post("/api/write", self._write)
        app.router.add_post("/api/live/{action}", self._live)
        app.router.add_get("/api/live", self._live_status)
        app.router.add_get("/api/frame.png", self._frame)
        app.router.add_post("/api/set/save", self._save)
        app.router.add_post("/api/set/load", self._load)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    # -- security -------------------------------------------------------------------

    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        if origin is not None and origin not in (self.base, f"http://localhost:{self.port}"):
            return web.Response(status=403, text="cross-site request refused (Origin "
                                                 f"{origin} is not this viewer)")
        given = (request.query.get("token") or request.headers.get("X-Nodemap-Token")
                 or request.cookies.get(COOKIE) or "")
        if not hmac.compare_digest(given.encode(), self.token.encode()):
            return web.Response(status=401, text="nodemap ui: open the URL with the token "
                                                 "printed by `nodemap ui`")
        response = await handler(request)
        if request.query.get("token"):
            response.set_cookie(COOKIE, self.token, httponly=True, samesite="Strict")
        return response

    async def _call(self, function: Callable[..., Any], *args: Any) -> Any:
        def locked() -> Any:
            with self._lock:
                return function(*args)
        return await asyncio.get_running_loop().run_in_executor(None, locked)

    # -- handlers -------------------------------------------------------------------

    async def _index(self, request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / "index.html")

    async def _tree(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(await self._call(api.tree, self.cam))

    async def _feature(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name not in self.cam.features:
            return web.json_response({"error": f"no feature {name!r}"}, status=404)
        return web.json_response(await self._call(api.describe, self.cam, name))

    async def _graph(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        return web.json_response(await self._call(api.graph, self.cam, name, self._graph_cache))

    async def _features(self, request: web.Request) -> web.StreamResponse:
        names = [n for n in (await request.json()).get("names", []) if n in self.cam.features]
        def many() -> dict[str, Any]:
            return {n: api.describe(self.cam, n) for n in names}
        return web.json_response(await self._call(many))

    async def _write(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        name = str(body.get("name", ""))
        if name not in self.cam.features:
            return web.json_response({"ok": False, "error": f"no feature {name!r}"})
        return web.json_response(await self._call(api.write, self.cam, name, body.get("value")))

    async def _live(self, request: web.Request) -> web.StreamResponse:
        action = request.match_info["action"]
        if action == "start":
            return web.json_response(await self._call(self.live.start))
        if action == "stop":
            return web.json_response(await asyncio.get_running_loop().run_in_executor(
                None, self.live.stop))
        return web.json_response({"error": f"unknown action {action!r}"}, status=404)

    async def _live_status(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self.live.status())

    async def _frame(self, request: web.Request) -> web.StreamResponse:
        frame = self.live.frame
        if frame is None:
            return web.Response(status=404, text="no frame yet: start the live view")
        png, _ = await asyncio.get_running_loop().run_in_executor(None, preview, frame)
        return web.Response(body=png, content_type="image/png",
                            headers={"Cache-Control": "no-store"})

    async def _save(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        path = Path(str(body.get("path", ""))).expanduser()
        fmt = str(body.get("format", "nmfs"))
        if not str(path) or path.is_dir():
            return web.json_response({"ok": False, "error": "name a feature-set file"})
        return web.json_response(await self._call(api.save_set, self.cam, path, fmt))

    async def _load(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        path = Path(str(body.get("path", ""))).expanduser()
        if not path.is_file():
            return web.json_response({"ok": False, "error": f"no feature-set file {path}"})
        return web.json_response(await self._call(api.load_set, self.cam, path))

    def stop(self) -> None:
        """Stop acquisition and the server."""
        self.live.stop()
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve(url: str, port: int = 0, host: str = "127.0.0.1", open_browser: bool = True,
          cam: Any = None) -> Server:
    """Open ``url`` (anything nodemap.open accepts) and serve the viewer for it."""
    if host not in ("127.0.0.1", "localhost", "::1"):
        warnings.warn(f"nodemap ui listens on {host}: anyone who can reach it and has the "
                      f"token can control the camera", stacklevel=2)
    if cam is None:
        from ..camera import open as open_camera
        cam = open_camera(url)
    server = Server(cam, host, port)
    if open_browser:
        webbrowser.open(server.url)
    return server


def main(argv: list[str] | None = None) -> int:
    """``nodemap ui URL [--port N] [--no-browser] [--host H]``."""
    parser = argparse.ArgumentParser(prog="nodemap ui")
    parser.add_argument("url")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args(argv)
    server = serve(args.url, port=args.port, host=args.host, open_browser=not args.no_browser)
    print(f"nodemap ui: {server.url}", flush=True)
    from ..simulators import wait_for_signal
    try:
        wait_for_signal()
    finally:
        server.stop()
        server.cam.close()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
