"""``vs1://HOST``: open a VS-1 smart camera through its standard-protocol services.

URL::

    vs1://HOST[?ftp=21&http=80&results=49211,49212,49213,49214&user=anonymous&password=
              &timeout=2&buffer=10000&retry=0.5&monitor=1&boot_path=/&terminator=%0A
              &keepalive=1&wait=0]

Every port can be remapped (a simulator on unprivileged ports); ``0`` disables a
service (``results=49211,0,0,0``).  ``buffer`` bounds each result port's line buffer,
``monitor`` is the FTP/HTTP reachability probe period in seconds (0: off), ``wait``
how long ``open`` waits for the result ports to connect (0: do not wait).

The link's extras are reachable on a Camera: ``cam.files`` (FTP), ``cam.results[n]``
(:class:`~nodemap.transports.vs1.results.ResultReader`), ``cam.connection_states()``,
``cam.boot_parameters()``, ``cam.boot_page()``.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable
from urllib.parse import parse_qs, unquote

from nodemap.errors import NodeMapError
from nodemap.resources import read_description

from nodemap.urls import split_scheme
from .boot import BootPage
from .files import FtpFiles
from .net import ServiceStates, classify_error, connect
from .port import VS1Port
from .protocol import MONITORED_SERVICES, ConnectionState
from .results import ResultReader

__all__ = ["VS1Link", "open_link", "parse_url"]

log = logging.getLogger("nodemap.vs1")

DEFAULTS: dict[str, Any] = {
    "ftp": 21,
    "http": 80,
    "results": (49211, 49212, 49213, 49214),
    "user": "anonymous",
    "password": "",
    "timeout": 2.0,
    "buffer": 10000,
    "retry": 0.5,
    "monitor": 2.0,
    "boot_path": "/",
    "boot_ttl": 2.0,
    "terminator": b"\n",
    "keepalive": True,
    "wait": 0.0,
    "read_timeout": 0.25,
}


def _convert(key: str, value: Any) -> Any:
    if key in ("ftp", "http", "buffer"):
        return int(value)
    if key == "results":
        ports = tuple(int(p) for p in (value.split(",") if isinstance(value, str) else value))
        if len(ports) != 4:
            raise NodeMapError(f"vs1:// results= needs 4 comma-separated ports (0 disables one), "
                               f"got {value!r}")
        return ports
    if key in ("timeout", "retry", "monitor", "wait", "boot_ttl", "read_timeout"):
        return float(value)
    if key == "keepalive":
        return value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes", "on")
    if key == "terminator":
        return value if isinstance(value, bytes) else str(value).encode("latin-1")
    return str(value)


def parse_url(url: str, **options: Any) -> tuple[str, dict[str, Any]]:
    """``vs1://HOST?...`` → ``(host, settings)``; keyword options override the query."""
    _, rest = split_scheme(url)
    hostpart, _, query = rest.partition("?")
    host = unquote(hostpart.rstrip("/"))
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not host:
        raise NodeMapError(f"{url!r} names no camera; use vs1://HOST (e.g. vs1://192.168.0.50)")
    settings = dict(DEFAULTS)
    given = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
    given.update(options)
    unknown = sorted(set(given) - set(DEFAULTS))
    if unknown:
        raise NodeMapError(f"unknown vs1:// option(s) {', '.join(unknown)}; known: "
                           f"{', '.join(sorted(DEFAULTS))}")
    for key, value in given.items():
        try:
            settings[key] = _convert(key, value)
        except ValueError as exc:
            raise NodeMapError(f"vs1:// option {key}={value!r} is not valid: {exc}") from None
    return host, settings


class _Monitor:
    """Probes FTP and HTTP reachability every ``period`` seconds (result ports are
    monitored by their own readers)."""

    def __init__(self, host: str, targets: list[tuple[int, int]], states: ServiceStates,
                 period: float, timeout: float) -> None:
        self.host = host
        self.targets = targets
        self.states = states
        self.period = period
        self.timeout = timeout
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"vs1-monitor-{host}", daemon=True)

    def probe(self, index: int, port: int) -> ConnectionState:
        try:
            sock = connect(self.host, port, self.timeout, keepalive=False)
        except OSError as exc:
            state = classify_error(exc)
            self.states.set(index, state, f"port {port}: {exc}")
            return state
        sock.close()
        self.states.set(index, ConnectionState.Connected, f"port {port} reachable")
        return ConnectionState.Connected

    def _run(self) -> None:
        while not self._stop.is_set():
            for index, port in self.targets:
                if self._stop.is_set():
                    break
                self.probe(index, port)
            self._stop.wait(self.period)

    def start(self) -> None:
        if self.targets and self.period > 0:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(self.timeout + 1.0)


class VS1Link:
    """A VS-1 camera: the virtual-register Port plus ``files``, ``results`` and states."""

    port_name = "Device"

    def __init__(self, host: str, settings: dict[str, Any]) -> None:
        self.host = host
        self.settings = settings
        self.states = ServiceStates()
        timeout = settings["timeout"]
        self.results: list[ResultReader | None] = []
        for n, port in enumerate(settings["results"]):
            if port:
                self.results.append(ResultReader(
                    n, host, port, self.states, service_index=MONITORED_SERVICES[2 + n].index,
                    buffer=settings["buffer"], timeout=timeout,
                    read_timeout=settings["read_timeout"], retry=settings["retry"],
                    keepalive=settings["keepalive"], terminator=settings["terminator"]))
            else:
                self.results.append(None)
        self.files = FtpFiles(host, settings["ftp"], user=settings["user"],
                              password=settings["password"], timeout=max(timeout, 1.0),
                              states=self.states, service_index=0) if settings["ftp"] else None
        self.boot = BootPage(host, settings["http"], settings["boot_path"], timeout=max(timeout, 1.0),
                             ttl=settings["boot_ttl"], states=self.states,
                             service_index=1) if settings["http"] else None
        self.port = VS1Port(self.results, self.states, self.boot)
        targets = [(0, settings["ftp"])] if settings["ftp"] else []
        targets += [(1, settings["http"])] if settings["http"] else []
        self._monitor = _Monitor(host, targets, self.states, settings["monitor"], timeout)
        self._closed = False
        for reader in self.results:
            if reader is not None:
                reader.start()
        self._monitor.start()
        if settings["wait"] > 0:
            self.wait_connected(settings["wait"])

    def __repr__(self) -> str:
        return f"<VS1Link vs1://{self.host} {self.connection_states()}>"

    def descriptions(self, progress: Callable[[int, int], None] | None = None) -> list[bytes]:
        data = read_description("vs1.xml")
        if progress:
            progress(len(data), len(data))
        return [data]

    def connection_states(self) -> dict[str, str]:
        """``{"Ftp": "Connected", "Result0": "Refused", ...}``."""
        return {name: state.name for name, state in self.states.snapshot().items()}

    def wait_connected(self, timeout: float) -> bool:
        """Wait (at most ``timeout`` s) until every enabled result port is Connected."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(r is None or r.state is ConnectionState.Connected for r in self.results):
                return True
            time.sleep(0.02)
        return all(r is None or r.state is ConnectionState.Connected for r in self.results)

    def boot_parameters(self) -> dict[str, str]:
        """Every ``label : value`` pair of the boot-parameter page."""
        if self.boot is None:
            raise NodeMapError("the HTTP boot-parameter page is disabled in the vs1:// URL (http=0)")
        return self.boot.parameters()

    def boot_page(self) -> bytes:
        """The raw boot-parameter page."""
        if self.boot is None:
            raise NodeMapError("the HTTP boot-parameter page is disabled in the vs1:// URL (http=0)")
        return self.boot.page()

    def close(self) -> None:
        """Stop the readers and the monitor (joins their threads)."""
        if self._closed:
            return
        self._closed = True
        self._monitor.stop()
        for reader in self.results:
            if reader is not None:
                reader.stop()
        for index in (0, 1):
            self.states.set(index, ConnectionState.Closed, "link closed")

    def __enter__(self) -> "VS1Link":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_link(url: str, **options: Any) -> VS1Link:
    """Open ``vs1://HOST?...`` (see the module docstring); never blocks unless ``wait`` > 0."""
    host, settings = parse_url(url, **options)
    log.info("VS-1 open %s: ftp=%s http=%s results=%s", host, settings["ftp"], settings["http"],
             settings["results"])
    return VS1Link(host, settings)
