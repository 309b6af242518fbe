"""The viewer's HTTP and WebSocket server (aiohttp): token, Origin check, static page, JSON API.

Security: bound to 127.0.0.1 unless ``host`` says otherwise (then a warning); every request
and the WebSocket need the random token (``?token=`` once, then a cookie, or the
``X-Nodemap-Token`` header); requests whose Origin is not this server are refused; the only
files touched are the feature-set and frame files the user names in the page; the page can
only open device URLs the server offered (discovered, simulated, or given on the command line).

The WebSocket (``/ws``) pushes what changed: feature values the page watches (every second,
after PollingTime polling, and at once after any write), live-view status, histogram and
frames (PNG as binary messages), and device events.
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import json
import logging
import secrets
import sys
import threading
import time
import warnings
import webbrowser
from pathlib import Path
from typing import Any, Awaitable, Callable, cast

from aiohttp import WSMsgType, web

from ...errors import NodeMapError
from . import api
from .live import Live, preview
from .picker import Devices
from .push import Watchers

STATIC = Path(__file__).resolve().parent / "static"
COOKIE = "nodemap_ui_token"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
TICK = 1.0            # seconds between value pushes when nothing was written
FRAME_PERIOD = 0.1    # at most ten live-view frames a second to each page
MAX_EVENTS = 200      # events kept for a page that connects later

log = logging.getLogger("nodemap.ui")


class Server:
    """A running viewer: ``url`` (with the token), ``stop()``.

    ``cam`` may be None when ``devices`` is given: the page then offers the discovered and
    simulated devices to pick from."""

    def __init__(self, cam: Any, host: str, port: int, devices: Devices | None = None,
                 device_url: str = "", owns_cam: bool = False) -> None:
        self.cam = cam
        self.host = host
        self.token = secrets.token_urlsafe(24)
        self.devices = devices
        self.device_url = device_url
        self._owns_cam = owns_cam
        self.live = Live(cam)
        self.watchers = Watchers()
        self.event_log: list[dict[str, Any]] = []
        self._events: Any = None
        self._graph_cache: dict[str, Any] = {}
        self._lock = threading.RLock()
        self._clients: set[web.WebSocketResponse] = set()
        self._loop = asyncio.new_event_loop()
        self._kick: asyncio.Event | None = None
        self._tasks: list[asyncio.Task[None]] = []
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
    def cookie(self) -> str:
        """The token's cookie, one per port: cookies ignore ports, and two viewers on one
        host must not overwrite each other's token."""
        return f"{COOKIE}_{self.port}"

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
        get, post = app.router.add_get, app.router.add_post
        get("/", self._index)
        app.router.add_static("/static/", STATIC)
        get("/ws", self._ws)
        get("/api/session", self._session)
        get("/api/devices", self._devices)
        post("/api/open", self._open)
        post("/api/simulate", self._simulate)
        get("/api/tree", self._tree)
        get("/api/feature/{name}", self._feature)
        get("/api/graph/{name}", self._graph)
        get("/api/registers/{name}", self._registers)
        post("/api/features", self._features)
        post("/api/write", self._write)
        post("/api/live/save", self._frame_save)
        post("/api/live/{action}", self._live)
        get("/api/live", self._live_status)
        get("/api/frame.png", self._frame)
        post("/api/set/save", self._save)
        post("/api/set/load", self._load)
        post("/api/set/diff", self._diff)
        post("/api/events/start", self._events_start)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._kick = asyncio.Event()
        self._tasks = [asyncio.ensure_future(self._push_values()),
                       asyncio.ensure_future(self._push_live())]

    # -- security -------------------------------------------------------------------

    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        if origin is not None and origin not in (self.base, f"http://localhost:{self.port}"):
            return web.Response(status=403, text="cross-site request refused (Origin "
                                                 f"{origin} is not this viewer)")
        given = (request.query.get("token") or request.headers.get("X-Nodemap-Token")
                 or request.cookies.get(self.cookie) or "")
        if not hmac.compare_digest(given.encode(), self.token.encode()):
            return web.Response(status=401, text="nodemap ui: open the URL with the token "
                                                 "printed by `nodemap ui`")
        response = await handler(request)
        if request.query.get("token") and not isinstance(response, web.WebSocketResponse):
            response.set_cookie(self.cookie, self.token, httponly=True, samesite="Strict")
        return response

    async def _call(self, function: Callable[..., Any], *args: Any) -> Any:
        def locked() -> Any:
            with self._lock:
                return function(*args)
        return await asyncio.get_running_loop().run_in_executor(None, locked)

    def _no_device(self) -> web.StreamResponse | None:
        if self.cam is None:
            return web.json_response({"error": "no device open: pick one first"}, status=409)
        return None

    # -- the WebSocket --------------------------------------------------------------

    async def _ws(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(heartbeat=30)
        await ws.prepare(request)
        self._clients.add(ws)
        self.watchers.add(ws)
        try:
            await ws.send_json({"type": "hello", "device": self.device_url,
                                "live": self.live.status(), "events": self.event_log[-50:]})
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                try:
                    data = json.loads(msg.data)
                except ValueError:
                    continue
                if isinstance(data, dict) and data.get("type") == "watch":
                    names = [str(n) for n in data.get("names", [])][:10000]
                    self.watchers.watch(ws, names)
                    self.kick()
        finally:
            self._clients.discard(ws)
            self.watchers.remove(ws)
        return ws

    def kick(self) -> None:
        """Push values now (from any thread)."""
        if self._kick is not None:
            self._loop.call_soon_threadsafe(self._kick.set)

    async def _send(self, ws: web.WebSocketResponse, data: Any) -> None:
        try:
            if isinstance(data, bytes):
                await ws.send_bytes(data)
            else:
                await ws.send_json(data)
        except (ConnectionError, RuntimeError):
            self._clients.discard(ws)

    async def _broadcast(self, data: Any) -> None:
        for ws in list(self._clients):
            await self._send(ws, data)

    def _describe_watched(self, elapsed_ms: int) -> dict[str, Any]:
        cam = self.cam
        if cam is None:
            return {}
        cam.nodemap.poll(elapsed_ms)
        features = cam.features
        return {n: api.describe(cam, n, self._graph_cache) for n in self.watchers.names()
                if n in features}

    async def _push_values(self) -> None:
        assert self._kick is not None
        last = time.monotonic()
        while True:
            try:
                await asyncio.wait_for(self._kick.wait(), TICK)
            except asyncio.TimeoutError:
                pass
            self._kick.clear()
            now = time.monotonic()
            elapsed, last = int((now - last) * 1000), now
            if not self._clients or self.cam is None:
                continue
            try:
                described = await self._call(self._describe_watched, elapsed)
            except Exception:  # noqa: BLE001 - keep pushing; the page shows per-feature errors
                log.exception("nodemap ui: describing the watched features failed")
                continue
            for client, delta in self.watchers.changes(described).items():
                ws = cast(web.WebSocketResponse, client)
                await self._send(ws, {"type": "values", "values": delta})

    async def _push_live(self) -> None:
        loop = asyncio.get_running_loop()
        sent_frame: Any = None
        sent_status: Any = None
        while True:
            await asyncio.sleep(FRAME_PERIOD)
            if not self._clients:
                continue
            status = self.live.status()
            frame = self.live.frame
            if frame is not None and frame is not sent_frame and self.live.running:
                sent_frame = frame
                try:
                    png, histogram = await loop.run_in_executor(None, preview, frame)
                except Exception as exc:  # noqa: BLE001 - shown in the page
                    status["error"] = f"cannot show frame {frame.frame_id}: {exc}"
                    await self._broadcast({"type": "live", "status": status})
                    continue
                await self._broadcast({"type": "live", "status": status,
                                       "histogram": histogram})
                await self._broadcast(png)
                sent_status = status
            elif status != sent_status and (status["running"] or
                                            (sent_status or {}).get("running", True)):
                await self._broadcast({"type": "live", "status": status})
                sent_status = status

    def _on_event(self, event: Any) -> None:
        from ..events_cli import format_event

        values = {name: event.features[name] for name in event.features
                  if name not in event.features.errors}
        row = {"name": event.name, "id": f"0x{event.id:04X}", "timestamp": event.timestamp,
               "block_id": event.block_id, "text": format_event(event),
               "features": json.loads(json.dumps(values, default=str))}
        self.event_log = (self.event_log + [row])[-MAX_EVENTS:]
        asyncio.run_coroutine_threadsafe(self._broadcast({"type": "event", "event": row}),
                                         self._loop)

    # -- picking a device -------------------------------------------------------------

    async def _session(self, request: web.Request) -> web.StreamResponse:
        return web.json_response({"device": self.device_url, "open": self.cam is not None,
                                  "picker": self.devices is not None})

    async def _devices(self, request: web.Request) -> web.StreamResponse:
        if self.devices is None:
            return web.json_response({"error": "this viewer was started for one device"},
                                     status=404)
        return web.json_response(await asyncio.get_running_loop().run_in_executor(
            None, self.devices.discover))

    def _switch(self, url: str) -> dict[str, Any]:
        """Close the open device (if this server opened it) and open ``url``."""
        from ..camera import open as open_camera

        with self._lock:
            self._close_device()
            try:
                cam = open_camera(url)
            except (NodeMapError, OSError, ValueError) as exc:
                text = str(exc)
                return {"ok": False, "error": text if url in text else f"{url}: {text}"}
            self.cam, self.device_url, self._owns_cam = cam, url, True
            self.live = Live(cam)
            self._graph_cache.clear()
            self.event_log = []
        self.watchers.forget()
        return {"ok": True, "device": url}

    def _close_device(self) -> None:
        self.live.stop()
        self._events = None
        cam, self.cam = self.cam, None
        if cam is not None and self._owns_cam:
            cam.close()

    async def _open(self, request: web.Request) -> web.StreamResponse:
        url = str((await request.json()).get("url", ""))
        if self.devices is None or not self.devices.is_allowed(url):
            return web.json_response({"ok": False, "error": f"{url!r} was not offered by "
                                      "this viewer (refresh the device list)"}, status=403)
        result = await asyncio.get_running_loop().run_in_executor(None, self._switch, url)
        if result["ok"]:
            await self._broadcast({"type": "opened", "device": url})
        return web.json_response(result)

    async def _simulate(self, request: web.Request) -> web.StreamResponse:
        name = str((await request.json()).get("name", ""))
        if self.devices is None:
            return web.json_response({"ok": False, "error": "this viewer was started for "
                                      "one device"}, status=404)
        loop = asyncio.get_running_loop()
        try:
            sim = await loop.run_in_executor(None, self.devices.start, name)
        except (NodeMapError, OSError, ValueError) as exc:
            return web.json_response({"ok": False, "error": f"simulator {name}: {exc}"})
        result = await loop.run_in_executor(None, self._switch, sim.urls[0])
        if result["ok"]:
            await self._broadcast({"type": "opened", "device": sim.urls[0]})
        return web.json_response(result)

    # -- features -------------------------------------------------------------------

    async def _index(self, request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / "index.html")

    async def _tree(self, request: web.Request) -> web.StreamResponse:
        return self._no_device() or web.json_response(await self._call(api.tree, self.cam))

    async def _feature(self, request: web.Request) -> web.StreamResponse:
        if (refused := self._no_device()) is not None:
            return refused
        name = request.match_info["name"]
        if name not in self.cam.features:
            return web.json_response({"error": f"no feature {name!r}"}, status=404)
        return web.json_response(await self._call(api.describe, self.cam, name,
                                                  self._graph_cache))

    async def _graph(self, request: web.Request) -> web.StreamResponse:
        if (refused := self._no_device()) is not None:
            return refused
        name = request.match_info["name"]
        return web.json_response(await self._call(api.graph, self.cam, name, self._graph_cache))

    async def _registers(self, request: web.Request) -> web.StreamResponse:
        if (refused := self._no_device()) is not None:
            return refused
        name = request.match_info["name"]
        return web.json_response(await self._call(api.registers, self.cam, name,
                                                  self._graph_cache))

    async def _features(self, request: web.Request) -> web.StreamResponse:
        if (refused := self._no_device()) is not None:
            return refused
        names = [n for n in (await request.json()).get("names", []) if n in self.cam.features]

        def many() -> dict[str, Any]:
            return {n: api.describe(self.cam, n, self._graph_cache) for n in names}
        return web.json_response(await self._call(many))

    async def _write(self, request: web.Request) -> web.StreamResponse:
        if (refused := self._no_device()) is not None:
            return refused
        body = await request.json()
        name = str(body.get("name", ""))
        if name not in self.cam.features:
            return web.json_response({"ok": False, "error": f"no feature {name!r}"})
        result = await self._call(api.write, self.cam, name, body.get("value"))
        self.kick()
        return web.json_response(result)

    # -- live view ------------------------------------------------------------------

    async def _live(self, request: web.Request) -> web.StreamResponse:
        if (refused := self._no_device()) is not None:
            return refused
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

    def _grab_and_save(self, path: Path) -> dict[str, Any]:
        if self.live.frame is None and not self.live.running:
            try:
                self.live.frame = self.cam.grab(timeout=5.0)
            except NodeMapError as exc:
                return {"ok": False, "error": str(exc)}
        return self.live.save(path)

    async def _frame_save(self, request: web.Request) -> web.StreamResponse:
        if (refused := self._no_device()) is not None:
            return refused
        path = Path(str((await request.json()).get("path", ""))).expanduser()
        if not str(path) or str(path) == "." or path.is_dir():
            return web.json_response({"ok": False, "error": "name an image file "
                                      "(.png .tiff .npy .raw)"})
        return web.json_response(await self._call(self._grab_and_save, path))

    # -- feature sets ---------------------------------------------------------------

    async def _save(self, request: web.Request) -> web.StreamResponse:
        if (refused := self._no_device()) is not None:
            return refused
        body = await request.json()
        path = Path(str(body.get("path", ""))).expanduser()
        fmt = str(body.get("format", "nmfs"))
        if not str(body.get("path", "")) or path.is_dir():
            return web.json_response({"ok": False, "error": "name a feature-set file"})
        return web.json_response(await self._call(api.save_set, self.cam, path, fmt))

    async def _load(self, request: web.Request) -> web.StreamResponse:
        if (refused := self._no_device()) is not None:
            return refused
        body = await request.json()
        path = Path(str(body.get("path", ""))).expanduser()
        if not path.is_file():
            return web.json_response({"ok": False, "error": f"no feature-set file {path}"})
        result = await self._call(api.load_set, self.cam, path)
        self.kick()
        return web.json_response(result)

    async def _diff(self, request: web.Request) -> web.StreamResponse:
        if (refused := self._no_device()) is not None:
            return refused
        body = await request.json()
        sides: list[Path | None] = []
        for key in ("left", "right"):
            text = str(body.get(key) or "").strip()
            path = Path(text).expanduser() if text else None
            if path is not None and not path.is_file():
                return web.json_response({"ok": False, "error": f"no feature-set file {path}"})
            sides.append(path)
        return web.json_response(await self._call(api.diff_sets, self.cam, *sides))

    # -- events ---------------------------------------------------------------------

    def _listen(self, names: list[str]) -> dict[str, Any]:
        try:
            if self._events is None:
                events = self.cam.events
                events.subscribe(None, self._on_event)
                self._events = events
            for name in names:
                self._events.enable(name)
            entries = self._events.adapter.selector_entries()
        except (NodeMapError, OSError, KeyError, ValueError) as exc:
            return {"ok": False, "error": str(exc)}
        return {"ok": True, "enabled": names, "entries": entries}

    async def _events_start(self, request: web.Request) -> web.StreamResponse:
        if (refused := self._no_device()) is not None:
            return refused
        names = [str(n) for n in (await request.json()).get("enable", []) if n]
        return web.json_response(await self._call(self._listen, names))

    def stop(self) -> None:
        """Stop acquisition, the server, and whatever the picker opened or started."""
        self.live.stop()
        if self._runner is not None:
            async def shutdown() -> None:
                for task in self._tasks:
                    task.cancel()
                for ws in list(self._clients):
                    await ws.close()
                assert self._runner is not None
                await self._runner.cleanup()
            try:
                asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(10)
            except Exception:  # noqa: BLE001 - stopping anyway
                log.exception("nodemap ui: shutdown")
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        if self.devices is not None:
            with self._lock:
                self._close_device()
            self.devices.close()

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _check_host(host: str) -> None:
    if host not in ("127.0.0.1", "localhost", "::1"):
        warnings.warn(f"nodemap ui listens on {host}: anyone who can reach it and has the "
                      f"token can control the camera", stacklevel=3)


def serve(url: str | None, port: int = 0, host: str = "127.0.0.1", open_browser: bool = True,
          cam: Any = None, devices: Devices | None = None) -> Server:
    """Open ``url`` (anything nodemap.open accepts) and serve the viewer for it; with no
    ``url`` (and no ``cam``) the page offers ``devices`` (discovered and simulated) to pick."""
    _check_host(host)
    if cam is None and url is None:
        server = Server(None, host, port, devices=devices or Devices())
    else:
        if cam is None:
            from ..camera import open as open_camera
            cam = open_camera(url)  # type: ignore[arg-type]
        server = Server(cam, host, port, device_url=url or "", devices=devices)
        if devices is not None and url:
            devices.allow(url)
    if open_browser:
        webbrowser.open(server.url)
    return server


def main(argv: list[str] | None = None) -> int:
    """``nodemap ui [URL] [--port N] [--no-browser] [--host H] [--interface I] [--address A]
    [--serial PORT]``."""
    from ...plugin import DiscoveryRequest

    parser = argparse.ArgumentParser(prog="nodemap ui")
    parser.add_argument("url", nargs="?")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--interface")
    parser.add_argument("--address")
    parser.add_argument("--serial", action="append", default=[])
    args = parser.parse_args(argv)
    devices = None
    if args.url is None:
        devices = Devices(DiscoveryRequest(timeout=1.0, interface=args.interface,
                                           address=args.address,
                                           serial_ports=tuple(args.serial)))
    server = serve(args.url, port=args.port, host=args.host, open_browser=not args.no_browser,
                   devices=devices)
    print(f"nodemap ui: {server.url}", flush=True)
    from ..simulators import wait_for_signal
    try:
        wait_for_signal()
    finally:
        cam = server.cam
        server.stop()
        if args.url is not None and cam is not None:
            cam.close()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
