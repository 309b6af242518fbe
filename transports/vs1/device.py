"""A simulated VS-1 smart camera for tests and demos (``nodemap sim vs1``).

Serves, on loopback by default and on configurable ports (so no root is needed):

* FTP (pyftpdlib) over a directory (a temporary one unless ``root`` is given);
* HTTP: a vxWorks-style boot-parameter page at ``/``;
* the four formatted-output ports: every connection gets its own stream of
  ``R<port>;SEQ=<n>;PASS;T=<time>`` lines (CR LF) starting at SEQ=0, ``rate`` lines/s,
  ``count`` lines in all (None: unbounded);
* an announce sender: a placeholder datagram to ``announce_host:announce_port`` every
  ``announce_interval`` s.  The real announce layout is undocumented, so the payload
  says so instead of imitating it.

Each service can be killed and restarted (``kill("result0")``, ``restart("ftp")``) to
exercise connection monitoring.  Run: ``python -m nodemap.transports.vs1.device --host
127.0.0.1 --base-port 10000`` (ftp 10000, http 10001, results 10002-10005, announce
datagrams to 10006); without ``--base-port`` the real VS-1 port numbers are used.
"""

from __future__ import annotations

import argparse
import http.server
import logging
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
from typing import Protocol, Sequence

from .protocol import render_boot_page

__all__ = ["SimulatedVS1", "main", "DEFAULT_BOOT_PARAMETERS"]

log = logging.getLogger("nodemap.vs1.sim")

DEFAULT_LINE_FORMAT = "R{port};SEQ={seq};PASS;T={time:.6f}"

DEFAULT_BOOT_PARAMETERS: tuple[tuple[str, str], ...] = (
    ("boot device", "fei"),
    ("unit number", "0"),
    ("processor number", "0"),
    ("host name", "host"),
    ("file name", "/flash/vxWorks"),
    ("inet on ethernet (e)", "127.0.0.1:ffffff00"),
    ("host inet (h)", "127.0.0.1"),
    ("gateway inet (g)", "127.0.0.1"),
    ("user (u)", "vs1"),
    ("flags (f)", "0x8"),
    ("target name (tn)", "VS1-SIM"),
    ("other (o)", "fei"),
)


def _listener(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if os.name != "nt":
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(16)
    sock.settimeout(0.1)
    return sock


class _Service(Protocol):
    """What every simulated service offers: its port, start and stop."""

    port: int

    def start(self) -> None: ...

    def stop(self) -> None: ...


class _ResultService:
    """One formatted-output port: a listener and a sender thread per connection."""

    def __init__(self, index: int, host: str, port: int, rate: float, count: int | None,
                 line_format: str) -> None:
        self.index = index
        self.host = host
        self.port = port
        self.rate = rate
        self.count = count
        self.line_format = line_format
        self._stop = threading.Event()
        self._sock: socket.socket | None = None
        self._conns: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self.sent = 0  #: lines sent over all connections

    def start(self) -> None:
        self._stop.clear()
        self._sock = _listener(self.host, self.port)
        self.port = self._sock.getsockname()[1]
        thread = threading.Thread(target=self._accept, name=f"vs1sim-result{self.index}",
                                  daemon=True)
        self._threads = [thread]
        thread.start()

    def _accept(self) -> None:
        assert self._sock is not None
        while not self._stop.is_set():
            try:
                conn, peer = self._sock.accept()
            except socket.timeout:
                continue
            except OSError:
                break
            log.debug("sim result%d: client %s", self.index, peer)
            with self._lock:
                self._conns.append(conn)
            thread = threading.Thread(target=self._send, args=(conn,), daemon=True,
                                      name=f"vs1sim-result{self.index}-send")
            self._threads.append(thread)
            thread.start()

    def _send(self, conn: socket.socket) -> None:
        start = time.monotonic()
        seq = 0
        try:
            while not self._stop.is_set() and (self.count is None or seq < self.count):
                due = int((time.monotonic() - start) * self.rate) + 1
                if self.count is not None:
                    due = min(due, self.count)
                if due > seq:
                    now = time.time()
                    chunk = "".join(
                        self.line_format.format(port=self.index, seq=n, time=now) + "\r\n"
                        for n in range(seq, due)).encode()
                    conn.sendall(chunk)
                    self.sent += due - seq
                    seq = due
                else:
                    wait = (seq / self.rate) - (time.monotonic() - start)
                    self._stop.wait(min(max(wait, 0.0005), 0.05))
            # keep the connection open (a quiet port is normal) until stopped
            self._stop.wait()
        except OSError:
            pass
        finally:
            with self._lock:
                if conn in self._conns:
                    self._conns.remove(conn)
            conn.close()

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._sock is not None:
            self._sock.close()
        for thread in self._threads:
            thread.join(2.0)
        self._threads = []


class _HttpService:
    """The boot-parameter page at ``/``."""

    def __init__(self, host: str, port: int, page: bytes) -> None:
        self.host = host
        self.port = port
        self.page = page
        self._server: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        service = self

        class Handler(http.server.BaseHTTPRequestHandler):
            server_version = "VS1-sim"

            def do_GET(self) -> None:  # noqa: N802 - http.server API
                if self.path.split("?")[0] not in ("/", "/index.html"):
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(service.page)))
                self.end_headers()
                self.wfile.write(service.page)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                log.debug("sim http: " + format, *args)

        class Server(http.server.ThreadingHTTPServer):
            allow_reuse_address = os.name != "nt"
            daemon_threads = True

        self._server = Server((self.host, self.port), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="vs1sim-http", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(2.0)


class _FtpService:
    """pyftpdlib over ``root``, driven from its own thread (pyftpdlib is not thread-safe,
    so the loop and ``close_all`` run in the same thread)."""

    def __init__(self, host: str, port: int, root: str, user: str, password: str) -> None:
        self.host = host
        self.port = port
        self.root = root
        self.user = user
        self.password = password
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def start(self) -> None:
        from pyftpdlib.authorizers import DummyAuthorizer
        from pyftpdlib.handlers import FTPHandler
        from pyftpdlib.servers import FTPServer

        authorizer = DummyAuthorizer()
        if self.user == "anonymous":
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # write access for anonymous is intended here
                authorizer.add_anonymous(self.root, perm="elradfmwMT")
        else:
            authorizer.add_user(self.user, self.password, self.root, perm="elradfmwMT")
        handler = type("VS1SimFtpHandler", (FTPHandler,), {
            "authorizer": authorizer, "banner": "VS-1 simulator FTP ready",
            "passive_ports": None, "auth_failed_timeout": 0.1})
        ftp_log = logging.getLogger("pyftpdlib")
        if not ftp_log.handlers:  # else pyftpdlib installs its own stderr handler at INFO
            ftp_log.addHandler(logging.NullHandler())
        if ftp_log.level == logging.NOTSET:
            ftp_log.setLevel(logging.WARNING)
        server = FTPServer((self.host, self.port), handler)
        self.port = server.address[1]
        self._stop.clear()

        def run() -> None:
            try:
                while not self._stop.is_set():
                    server.ioloop.loop(0.05, blocking=False)
            finally:
                server.close_all()

        self._thread = threading.Thread(target=run, name="vs1sim-ftp", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(3.0)
            self._thread = None


class _Announcer:
    """Sends a placeholder datagram to ``host:port`` every ``interval`` seconds."""

    def __init__(self, host: str, port: int, interval: float, name: str) -> None:
        self.host = host
        self.port = port
        self.interval = interval
        self.name = name
        self.sent = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def payload(self, seq: int) -> bytes:
        return (f"nodemap VS-1 simulator announce seq={seq} name={self.name} "
                f"(placeholder: the real announce layout is undocumented)").encode()

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="vs1sim-announce", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            while not self._stop.is_set():
                try:
                    sock.sendto(self.payload(self.sent), (self.host, self.port))
                    self.sent += 1
                except OSError as exc:
                    log.debug("sim announce: %s", exc)
                self._stop.wait(self.interval)
        finally:
            sock.close()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2.0)
            self._thread = None


class SimulatedVS1:
    """A simulated VS-1 (see the module docstring).  Ports of 0 are chosen by the OS;
    after :meth:`start` the attributes hold the real ones and :attr:`url` opens it."""

    SERVICES = ("ftp", "http", "result0", "result1", "result2", "result3", "announce")

    def __init__(self, host: str = "127.0.0.1", *, ftp_port: int = 21, http_port: int = 80,
                 result_ports: Sequence[int] = (49211, 49212, 49213, 49214),
                 announce_port: int | None = 49495, announce_host: str = "127.0.0.1",
                 announce_interval: float = 1.0, rate: float = 10.0, count: int | None = None,
                 line_format: str = DEFAULT_LINE_FORMAT, root: str | None = None,
                 user: str = "anonymous", password: str = "",
                 boot_parameters: Sequence[tuple[str, str]] = DEFAULT_BOOT_PARAMETERS,
                 boot_page: bytes | None = None, name: str = "VS1-SIM") -> None:
        if len(result_ports) != 4:
            raise ValueError("a VS-1 has four result ports")
        if rate <= 0:
            raise ValueError("rate must be positive (lines per second)")
        self.host = host
        self._own_root = root is None
        self.root = root if root is not None else tempfile.mkdtemp(prefix="vs1sim-ftp-")
        page = boot_page if boot_page is not None else render_boot_page(boot_parameters)
        self._ftp = _FtpService(host, ftp_port, self.root, user, password)
        self._http = _HttpService(host, http_port, page)
        self.services: dict[str, _Service] = {"ftp": self._ftp, "http": self._http}
        for n, port in enumerate(result_ports):
            self.services[f"result{n}"] = _ResultService(n, host, port, rate, count, line_format)
        if announce_port is not None:
            self.services["announce"] = _Announcer(announce_host, announce_port,
                                                   announce_interval, name)
        self.running: set[str] = set()

    # -- ports --------------------------------------------------------------------------

    @property
    def ftp_port(self) -> int:
        return self._ftp.port

    @property
    def http_port(self) -> int:
        return self._http.port

    @property
    def result_ports(self) -> list[int]:
        return [self.services[f"result{n}"].port for n in range(4)]

    @property
    def url(self) -> str:
        """``vs1://HOST?ftp=..&http=..&results=..`` for :func:`nodemap.open`."""
        results = ",".join(str(p) for p in self.result_ports)
        return f"vs1://{self.host}?ftp={self.ftp_port}&http={self.http_port}&results={results}"

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> "SimulatedVS1":
        for name in self.services:
            self.restart(name)
        return self

    def kill(self, name: str) -> None:
        """Stop one service (its port then refuses connections)."""
        service = self._service(name)
        if name in self.running:
            service.stop()
            self.running.discard(name)
            log.info("sim: %s stopped", name)

    def restart(self, name: str) -> None:
        """(Re)start one service on its port."""
        service = self._service(name)
        if name not in self.running:
            service.start()
            self.running.add(name)
            log.info("sim: %s on %s", name, getattr(service, "port", "?"))

    def _service(self, name: str) -> _Service:
        try:
            return self.services[name]
        except KeyError:
            raise ValueError(f"unknown simulated service {name!r}; one of "
                             f"{', '.join(self.services)}") from None

    def stop(self) -> None:
        for name in self.running:  # signal every service first, so they wind down together
            stop_event = getattr(self.services[name], "_stop", None)
            if isinstance(stop_event, threading.Event):
                stop_event.set()
        for name in list(self.running):
            self.kill(name)
        if self._own_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> "SimulatedVS1":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="nodemap sim vs1",
                                description="Run a simulated VS-1 smart camera.")
    p.add_argument("--host", default="127.0.0.1", help="address to serve on (default 127.0.0.1)")
    p.add_argument("--base-port", type=int, default=None,
                   help="consecutive ports: ftp N, http N+1, results N+2..N+5, announce to N+6 "
                        "(default: the real VS-1 ports 21, 80, 49211-49214, 49495; 0: OS-chosen)")
    p.add_argument("--ftp-port", type=int)
    p.add_argument("--http-port", type=int)
    p.add_argument("--result-ports", help="four comma-separated ports")
    p.add_argument("--announce-port", type=int, help="where announce datagrams go (0: none)")
    p.add_argument("--announce-host", default="127.0.0.1")
    p.add_argument("--announce-interval", type=float, default=1.0)
    p.add_argument("--rate", type=float, default=10.0, help="lines per second per result port")
    p.add_argument("--count", type=int, default=None, help="lines per connection (default: unbounded)")
    p.add_argument("--root", help="FTP root directory (default: a temporary one)")
    p.add_argument("--user", default="anonymous")
    p.add_argument("--password", default="")
    p.add_argument("--duration", type=float, default=None, help="exit after this many seconds")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m nodemap.transports.vs1.device`` and ``nodemap sim vs1``."""
    args = _parser().parse_args(argv)
    if args.base_port is None:
        ftp, http_, results, announce = 21, 80, [49211, 49212, 49213, 49214], 49495
    elif args.base_port == 0:
        ftp, http_, results, announce = 0, 0, [0, 0, 0, 0], 0
    else:
        b = args.base_port
        ftp, http_, results, announce = b, b + 1, [b + 2, b + 3, b + 4, b + 5], b + 6
    if args.ftp_port is not None:
        ftp = args.ftp_port
    if args.http_port is not None:
        http_ = args.http_port
    if args.result_ports:
        results = [int(p) for p in args.result_ports.split(",")]
    if args.announce_port is not None:
        announce = args.announce_port
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    sim = SimulatedVS1(args.host, ftp_port=ftp, http_port=http_, result_ports=results,
                       announce_port=announce or None, announce_host=args.announce_host,
                       announce_interval=args.announce_interval, rate=args.rate, count=args.count,
                       root=args.root, user=args.user, password=args.password)
    try:
        sim.start()
    except OSError as exc:
        print(f"cannot start the simulated VS-1: {exc} (ports below 1024 need root; try "
              f"--base-port 10000)", file=sys.stderr)
        sim.stop()
        return 1
    print(f"simulated VS-1 on {args.host}: {sim.url}", flush=True)
    if announce:
        print(f"announce datagrams to {args.announce_host}:{announce}", flush=True)
    print(f"FTP root: {sim.root}", flush=True)
    try:
        if args.duration is None:
            while True:
                time.sleep(3600)
        else:
            time.sleep(args.duration)
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
