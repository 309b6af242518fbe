"""The ``nodemap`` command: the same verbs for every camera URL (gvcp://, fcb:, sxh485:, mem:).

    nodemap discover [--interface IP] [--address IP] [--serial PORT]
    nodemap features URL [--visibility Expert]
    nodemap get URL Width Height          nodemap set URL Width=640 PixelFormat=Mono8
    nodemap describe URL Width            nodemap values URL
    nodemap execute URL TriggerSoftware   nodemap reg URL 0x0D04[=1500]
    nodemap xml URL -o camera.xml         nodemap snapshot URL -o picture.jpg
    nodemap save URL camera.nmfs          nodemap load URL camera.nmfs
    nodemap decode 42 01 00 80 …          nodemap sim gige|fcb|sxh485
    nodemap demo

Every reading verb takes ``--json`` (one JSON document on stdout).  Exit codes:
0 success, 1 other error, 2 usage error, 3 unknown feature or name, 4 device not
reachable (timeout, serial line, port), 5 the device refused (access mode, range,
device status), 6 a feature set was only partly restored.  Errors go to stderr with
what to check.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Callable, Iterator

import click

__all__ = ["main", "EXIT_NOT_FOUND", "EXIT_UNREACHABLE", "EXIT_REFUSED", "EXIT_PARTIAL"]

EXIT_ERROR = 1
EXIT_NOT_FOUND = 3
EXIT_UNREACHABLE = 4
EXIT_REFUSED = 5
EXIT_PARTIAL = 6

VISIBILITY = ("Beginner", "Expert", "Guru", "Invisible")
_HIDDEN_KINDS = {"EnumEntry", "Port"}


# --------------------------------------------------------------------------- output helpers

def _console(stderr: bool = False) -> Any:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def _jsonable(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).hex()
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def _emit_json(data: Any) -> None:
    click.echo(json.dumps(_jsonable(data), indent=2, ensure_ascii=False))


def _show(value: Any) -> str:
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).hex(" ")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value.rstrip("\0")
    return str(value)


class CliError(click.ClickException):
    """An error with its own exit code."""

    def __init__(self, message: str, code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.exit_code = code

    def show(self, file: Any = None) -> None:
        click.echo(f"nodemap: error: {self.format_message()}", err=True)


def _hint_for(url: str) -> str:
    scheme = url.partition(":")[0].lower()
    if scheme == "gvcp":
        return ("check that the device is powered and reachable (ping it), that its IP is "
                "in your interface's subnet (nodemap discover), and that no firewall "
                "blocks UDP 3956")
    if scheme in ("fcb", "sxh485"):
        return ("check the serial port name and permissions, the cable, the baud rate "
                "(?baudrate=) and the camera address (?address=); nodemap discover "
                "--serial PORT probes the line")
    return "check the URL"


def _translate(exc: BaseException, url: str | None = None) -> CliError:
    from . import errors

    where = f" ({url})" if url else ""
    if isinstance(exc, KeyError):
        message = exc.args[0] if exc.args else str(exc)
        return CliError(str(message), EXIT_NOT_FOUND)
    if isinstance(exc, errors.TimeoutError):
        return CliError(f"no answer{where}: {exc}\n  what to check: {_hint_for(url or '')}",
                        EXIT_UNREACHABLE)
    if isinstance(exc, (errors.AccessError, errors.RangeError, errors.DeviceError)):
        return CliError(f"{exc}{where}", EXIT_REFUSED)
    if isinstance(exc, errors.PortError):
        return CliError(f"{exc}{where}\n  what to check: {_hint_for(url or '')}",
                        EXIT_UNREACHABLE)
    if isinstance(exc, OSError):
        return CliError(f"{exc}{where}\n  what to check: {_hint_for(url or '')}",
                        EXIT_UNREACHABLE)
    return CliError(f"{exc}{where}", EXIT_ERROR)


class _Guard:
    """``with _Guard(url):`` turns nodemap errors into CliErrors with exit codes."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url

    def __enter__(self) -> "_Guard":
        return self

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> bool:
        from .errors import NodeMapError

        if exc is None or isinstance(exc, (click.ClickException, click.exceptions.Exit,
                                           click.Abort)):
            return False
        if isinstance(exc, (NodeMapError, KeyError, OSError)):
            raise _translate(exc, self.url) from exc
        return False


class _Opened:
    """Open a camera for a verb, with the right exit codes, and always close it."""

    def __init__(self, url: str, progress: Callable[[int, int], None] | None = None) -> None:
        self.url = url
        self.progress = progress
        self.cam: Any = None

    def __enter__(self) -> Any:
        import nodemap

        with _Guard(self.url):
            try:
                self.cam = nodemap.open(self.url, progress=self.progress)
            except ValueError as exc:   # a malformed URL option
                raise CliError(f"{self.url}: {exc}", 2) from None
        return self.cam

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> bool:
        try:
            if self.cam is not None:
                self.cam.close()
        finally:
            if exc is not None and not isinstance(exc, (click.ClickException, click.Abort,
                                                        click.exceptions.Exit)):
                from .errors import NodeMapError

                if isinstance(exc, (NodeMapError, KeyError, OSError)):
                    raise _translate(exc, self.url) from exc
        return False


def _feature(cam: Any, name: str) -> Any:
    try:
        return cam.features[name]
    except KeyError as exc:
        raise CliError(str(exc.args[0]) if exc.args else f"no feature {name!r}",
                       EXIT_NOT_FOUND) from None


def parse_for(feature: Any, text: str) -> Any:
    """The value ``text`` means for ``feature`` (by its kind)."""
    from .persist import parse_value

    kind = feature.kind
    if kind == "Enumeration" and text not in feature.entries:
        try:
            number = int(text, 0)
        except ValueError:
            import difflib

            close = difflib.get_close_matches(text, feature.entries, n=3, cutoff=0.5)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise CliError(f"{feature.name} has no entry {text!r}; entries: "
                           f"{', '.join(feature.entries)}{hint}", EXIT_REFUSED) from None
        return number
    try:
        return parse_value(kind, text)
    except ValueError as exc:
        raise CliError(f"{feature.name} is {kind}: cannot use {text!r} ({exc})", 2) from None


def _readable(feature: Any) -> bool:
    try:
        return feature.kind not in ("Command", "Category", "Port", "EnumEntry") and \
            feature.access in ("RO", "RW")
    except Exception:  # noqa: BLE001 - a broken node is simply not listed as readable
        return False


def _visible(feature: Any, level: str) -> bool:
    try:
        vis = feature.visibility or "Beginner"
    except Exception:  # noqa: BLE001
        vis = "Beginner"
    rank = {v: i for i, v in enumerate(VISIBILITY)}
    return rank.get(vis, 0) <= rank[level]


# --------------------------------------------------------------------------- the group

@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="nodemap", message="nodemap %(version)s")
@click.option("-v", "--verbose", count=True, help="log packets (-v info, -vv every packet)")
def main(verbose: int) -> None:
    """One GenICam feature API for every camera: GigE Vision (gvcp://), Sony FCB
    (fcb:PORT?address=N), SXH485 (sxh485:PORT?address=N), any XML in memory (mem:FILE).

    URLs: gvcp://192.168.1.10  fcb:/dev/ttyUSB0?address=1  fcb:socket://127.0.0.1:5678
    sxh485:COM3?address=1&baudrate=115200  mem:camera.xml
    """
    if verbose:
        import logging

        logging.basicConfig(level=logging.DEBUG if verbose > 1 else logging.INFO,
                            format="%(name)s %(message)s", stream=sys.stderr)


json_option = click.option("--json", "as_json", is_flag=True, help="print JSON for scripts")


# --------------------------------------------------------------------------- discover

@main.command()
@click.option("--interface", help="only this interface (its name or IPv4 address)")
@click.option("--address", "unicast", help="ask one device by unicast instead of broadcasting")
@click.option("--serial", "serial_ports", multiple=True, metavar="PORT",
              help="also probe this serial line for FCB (addresses 1-7) and SXH485 cameras")
@click.option("--sxh485-addresses", default="1-8", show_default=True,
              help="SXH485 addresses to probe on --serial lines (e.g. 1-8 or 1,5,9)")
@click.option("--timeout", type=float, default=1.0, show_default=True, help="seconds to listen")
@click.option("--vs1", "vs1", is_flag=True,
              help="listen for VS-1 announce datagrams instead (printed raw: the format is "
                   "not published)")
@click.option("--vs1-port", type=int, default=49495, show_default=True,
              help="UDP port of VS-1 announcements")
@click.option("--vs1-host", default="0.0.0.0", show_default=True,
              help="local address to listen on for VS-1 announcements")
@json_option
def discover(interface: str | None, unicast: str | None, serial_ports: tuple[str, ...],
             sxh485_addresses: str, timeout: float, vs1: bool, vs1_port: int, vs1_host: str,
             as_json: bool) -> None:
    """Find GigE Vision devices (broadcast on every interface) and serial cameras."""
    rows: list[dict[str, Any]] = []
    if vs1:
        _discover_vs1(vs1_host, vs1_port, timeout, as_json)
        return
    with _Guard():
        if unicast or not serial_ports or interface:
            from nodemap.transports.gvcp.discovery import discover as gvcp_discover

            for device in gvcp_discover(interface, address=unicast, timeout=timeout):
                info = device.info
                rows.append({"url": device.url, "transport": "gvcp", "vendor": info.manufacturer,
                             "model": info.model, "serial": info.serial, "mac": device.mac,
                             "ip": info.ip, "interface": device.interface})
        for port in serial_ports:
            rows += _probe_serial(port, _address_list(sxh485_addresses), timeout)
    if as_json:
        _emit_json(rows)
        return
    if not rows:
        click.echo("no devices found (GigE: is the camera in your subnet? serial: --serial PORT)")
        return
    from rich.table import Table

    table = Table("URL", "vendor", "model", "serial", "MAC", "via")
    for row in rows:
        table.add_row(row["url"], row.get("vendor", ""), row.get("model", ""),
                      row.get("serial", ""), row.get("mac", ""), row.get("interface", ""))
    _console().print(table)


def _discover_vs1(host: str, port: int, timeout: float, as_json: bool) -> None:
    """Record VS-1 announce datagrams for ``timeout`` seconds and print them raw."""
    from nodemap.transports.vs1.announce import listen

    with _Guard():
        try:
            heard = listen(timeout, port=port, host=host)
        except OSError as exc:
            raise CliError(f"cannot listen on UDP {host}:{port}: {exc}", 4) from None
    if as_json:
        _emit_json([{"source": f"{a.source[0]}:{a.source[1]}", "received": a.received,
                     "hex": a.data.hex()} for a in heard])
        return
    if not heard:
        click.echo(f"no VS-1 announcements on UDP {host}:{port} within {timeout:g} s")
    for announcement in heard:
        click.echo(announcement.describe())


def _address_list(text: str) -> list[int]:
    out: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        low, sep, high = part.partition("-")
        try:
            out += list(range(int(low), int(high) + 1)) if sep else [int(low)]
        except ValueError:
            raise CliError(f"--sxh485-addresses {text!r}: use e.g. 1-8 or 1,5,9", 2) from None
    return [a for a in out if 1 <= a <= 254][:254]


def _probe_serial(port: str, sxh_addresses: list[int], timeout: float) -> list[dict[str, Any]]:
    import nodemap
    from .errors import NodeMapError

    found: list[dict[str, Any]] = []
    short = min(max(timeout / 4, 0.1), 0.5)
    try:
        cam = nodemap.open(f"fcb:{port}?address=1&timeout={short}&retries=0")
    except (NodeMapError, OSError):
        cam = None
    if cam is not None:
        try:
            count = getattr(getattr(cam.link, "bus", None), "cameras_found", None) or 1
        finally:
            cam.close()
        for address in range(1, min(count, 7) + 1):
            found.append({"url": f"fcb:{port}?address={address}", "transport": "fcb",
                          "vendor": "Sony", "model": "FCB (VISCA)", "interface": port})
    if found:
        return found
    for address in sxh_addresses:
        try:
            cam = nodemap.open(f"sxh485:{port}?address={address}&timeout={short}&retries=0")
        except (NodeMapError, OSError):
            continue
        cam.close()
        found.append({"url": f"sxh485:{port}?address={address}", "transport": "sxh485",
                      "vendor": "", "model": "SXH485 camera", "interface": port})
    return found


# --------------------------------------------------------------------------- features

@main.command()
@click.argument("url")
@click.option("--visibility", type=click.Choice(VISIBILITY, case_sensitive=False),
              default="Guru", show_default=True, help="show features up to this level")
@json_option
def features(url: str, visibility: str, as_json: bool) -> None:
    """The category tree, with each feature's kind and access mode."""
    level = next(v for v in VISIBILITY if v.lower() == visibility.lower())
    with _Opened(url) as cam:
        nm = cam.nodemap
        fs = cam.features
        shown: set[str] = set()

        def walk(name: str, depth: int = 0) -> dict[str, Any] | None:
            if depth > 32 or name in shown:
                return None
            feature = fs[name]
            if not _visible(feature, level):
                return None
            shown.add(name)
            try:
                access = feature.access
            except Exception:  # noqa: BLE001
                access = "NA"
            item: dict[str, Any] = {"name": name, "kind": feature.kind, "access": access,
                                    "visibility": feature.visibility}
            if feature.kind == "Category":
                children = []
                for child in feature.features:
                    if child in nm:
                        sub = walk(child, depth + 1)
                        if sub is not None:
                            children.append(sub)
                item["features"] = children
            return item

        roots = ["Root"] if "Root" in nm else []
        if not roots:
            children = {c for n in nm.names if fs[n].kind == "Category" for c in fs[n].features}
            roots = [n for n in nm.names if fs[n].kind == "Category" and n not in children]
        tree = [t for t in (walk(r) for r in roots) if t is not None]
    if as_json:
        _emit_json(tree)
        return
    from rich.tree import Tree

    def add(node: Any, item: dict[str, Any]) -> None:
        if item["kind"] == "Category":
            branch = node.add(f"[bold]{item['name']}[/bold]")
            for child in item["features"]:
                add(branch, child)
        else:
            node.add(f"{item['name']}  [dim]{item['kind']} {item['access']}[/dim]")

    root = Tree(f"[bold]{url}[/bold]")
    for item in tree:
        add(root, item)
    _console().print(root)


# --------------------------------------------------------------------------- get / set

@main.command()
@click.argument("url")
@click.argument("names", nargs=-1, required=True)
@json_option
def get(url: str, names: tuple[str, ...], as_json: bool) -> None:
    """Read features: nodemap get URL Width Height."""
    out: dict[str, Any] = {}
    with _Opened(url) as cam:
        for name in names:
            feature = _feature(cam, name)
            with _Guard(url):
                out[name] = feature.value
    if as_json:
        _emit_json(out)
        return
    for name, value in out.items():
        click.echo(f"{name} = {_show(value)}" if len(out) > 1 else _show(value))


@main.command(name="set")
@click.argument("url")
@click.argument("assignments", nargs=-1, required=True, metavar="NAME=VALUE...")
@json_option
def set_(url: str, assignments: tuple[str, ...], as_json: bool) -> None:
    """Write features in order: nodemap set URL Width=640 PixelFormat=Mono8."""
    pairs = []
    for item in assignments:
        name, sep, text = item.partition("=")
        if not sep or not name:
            raise CliError(f"{item!r} is not NAME=VALUE", 2)
        pairs.append((name.strip(), text.strip()))
    out: dict[str, Any] = {}
    with _Opened(url) as cam:
        for name, text in pairs:
            feature = _feature(cam, name)
            value = parse_for(feature, text)
            with _Guard(url):
                feature.value = value
                out[name] = feature.value if _readable(feature) else value
    if as_json:
        _emit_json(out)
        return
    for name, value in out.items():
        click.echo(f"{name} = {_show(value)}")


# --------------------------------------------------------------------------- describe

def describe_feature(cam: Any, name: str) -> dict[str, Any]:
    """Every metadata field of one feature, its value and bounds, and its registers."""
    nm = cam.nodemap
    feature = _feature(cam, name)
    info: dict[str, Any] = {"name": name, "kind": feature.kind}
    for field in ("access", "visibility", "display_name", "description", "tooltip", "unit",
                  "representation", "streamable", "is_deprecated", "namespace",
                  "polling_time", "display_notation", "display_precision"):
        try:
            info[field] = getattr(feature, field)
        except Exception as exc:  # noqa: BLE001 - describe shows what it can
            info[field] = f"<{type(exc).__name__}: {exc}>"
    if _readable(feature):
        try:
            info["value"] = feature.value
        except Exception as exc:  # noqa: BLE001
            info["value_error"] = str(exc)
    if feature.kind in ("Integer", "Float"):
        for field in ("min", "max", "inc"):
            try:
                info[field] = getattr(feature, field)
            except Exception:  # noqa: BLE001
                pass
    if feature.kind == "Enumeration":
        try:
            info["entries"] = list(feature.entries)
            info["int_value"] = feature.int_value
        except Exception:  # noqa: BLE001
            pass
    if feature.kind == "Category":
        info["features"] = list(feature.features)
    try:
        info["selected"] = list(feature.selected or [])
    except Exception:  # noqa: BLE001
        info["selected"] = []
    selectors = []
    for other in nm.names:
        try:
            if name in (cam.features[other].selected or ()):
                selectors.append(other)
        except Exception:  # noqa: BLE001
            continue
    info["selected_by"] = selectors
    # registers behind it: walk the dependency graph down to nodes with an address
    registers = []
    seen: set[str] = set()
    stack = [name]
    while stack and len(seen) < 500:
        current = stack.pop()
        if current in seen or current not in nm:
            continue
        seen.add(current)
        try:
            node = nm.node(current)
        except Exception:  # noqa: BLE001
            continue
        if hasattr(node, "get_address"):
            entry: dict[str, Any] = {"name": current}
            try:
                entry["address"] = node.get_address()
                entry["length"] = node.length()
            except Exception as exc:  # noqa: BLE001
                entry["error"] = str(exc)
            registers.append(entry)
        stack.extend(node.dependencies)
    info["registers"] = sorted(registers, key=lambda r: r["name"])
    info["depends_on"] = sorted(seen - {name})
    return info


@main.command()
@click.argument("url")
@click.argument("names", nargs=-1, required=True)
@json_option
def describe(url: str, names: tuple[str, ...], as_json: bool) -> None:
    """Every metadata field, bounds, entries and the registers behind a feature."""
    with _Opened(url) as cam:
        items = [describe_feature(cam, name) for name in names]
    if as_json:
        _emit_json(items if len(items) > 1 else items[0])
        return
    console = _console()
    from rich.table import Table

    for info in items:
        table = Table(title=f"{info['name']} ({info['kind']})", show_header=False)
        table.add_column("field", style="bold")
        table.add_column("value")
        for key, value in info.items():
            if key in ("name", "kind") or value in (None, "", [], ()):
                continue
            if key == "registers":
                value = ", ".join(
                    f"{r['name']} @ 0x{r['address']:X} ({r['length']} B)" if "address" in r
                    else f"{r['name']} ({r.get('error')})" for r in value)
            elif isinstance(value, list):
                value = ", ".join(map(str, value))
            table.add_row(key, _show(value))
        console.print(table)


# --------------------------------------------------------------------------- values

@main.command()
@click.argument("url")
@click.option("--visibility", type=click.Choice(VISIBILITY, case_sensitive=False),
              default="Guru", show_default=True)
@json_option
def values(url: str, visibility: str, as_json: bool) -> None:
    """Every readable feature's value (categories, commands and invisible nodes left out)."""
    level = next(v for v in VISIBILITY if v.lower() == visibility.lower())
    out: dict[str, Any] = {}
    errors: dict[str, str] = {}
    with _Opened(url) as cam:
        fs = cam.features
        chosen: list[str] = []
        for name in cam.nodemap.names:
            try:
                feature = fs[name]
                if feature.kind in _HIDDEN_KINDS or not _visible(feature, level) or \
                        not _readable(feature):
                    continue
                chosen.append(name)
            except Exception as exc:  # noqa: BLE001 - one broken feature must not stop the rest
                errors[name] = str(exc)
        cam.nodemap.prefetch(chosen)  # one bulk read where the transport allows it
        for name in chosen:
            try:
                out[name] = fs[name].value
            except Exception as exc:  # noqa: BLE001 - one broken feature must not stop the rest
                errors[name] = str(exc)
    if as_json:
        _emit_json({"values": out, "errors": errors})
        return
    from rich.table import Table

    table = Table("feature", "value")
    for name, value in out.items():
        table.add_row(name, _show(value))
    for name, message in errors.items():
        table.add_row(name, f"[red]{message}[/red]")
    _console().print(table)


# --------------------------------------------------------------------------- execute

@main.command()
@click.argument("url")
@click.argument("command")
@click.option("--wait/--no-wait", default=True, show_default=True,
              help="wait until the device reports the command done")
@click.option("--timeout", type=float, default=10.0, show_default=True)
def execute(url: str, command: str, wait: bool, timeout: float) -> None:
    """Execute a Command feature (e.g. TriggerSoftware)."""
    import time

    with _Opened(url) as cam:
        feature = _feature(cam, command)
        if feature.kind != "Command":
            raise CliError(f"{command} is {feature.kind}, not a Command; use nodemap set", 2)
        with _Guard(url):
            feature.execute()
            done = True
            if wait:
                deadline = time.monotonic() + timeout
                done = feature.is_done()
                while not done and time.monotonic() < deadline:
                    time.sleep(0.02)
                    done = feature.is_done()
    if not done:
        raise CliError(f"{command} did not finish within {timeout} s", EXIT_UNREACHABLE)
    click.echo(f"{command} executed" + (" and done" if wait else ""))


# --------------------------------------------------------------------------- reg

@main.command()
@click.argument("url")
@click.argument("accesses", nargs=-1, required=True, metavar="0xADDR[=VALUE]...")
@click.option("--length", type=int, default=None,
              help="bytes to read (default: the register's Length in the XML, else 4)")
@click.option("--little-endian", is_flag=True, help="values are little-endian")
@json_option
def reg(url: str, accesses: tuple[str, ...], length: int | None, little_endian: bool,
        as_json: bool) -> None:
    """Raw register access, like arv-tool's R[addr]: 0x0D04 reads, 0x0D04=1500 writes."""
    from nodemap.transports import open_link

    order = "little" if little_endian else "big"
    results = []
    requested = length
    with _Guard(url):
        link = open_link(url)
        try:
            names = None
            for item in accesses:
                addr_text, sep, value_text = item.partition("=")
                try:
                    address = int(addr_text, 0)
                    value = int(value_text, 0) if sep else None
                except ValueError:
                    raise CliError(f"{item!r}: use 0xADDR or 0xADDR=VALUE", 2) from None
                length = requested
                if length is None:
                    if names is None:
                        from .decode import RegisterNames

                        names = RegisterNames()
                        for document in link.descriptions():
                            names.add_xml(document)
                    known = names.lookup(address)
                    length = known.length if known is not None and known.length <= 8 else 4
                if value is not None:
                    link.port.write(address, value.to_bytes(length, order))
                data = link.port.read(address, length)
                results.append({"address": address, "bytes": data.hex(),
                                "value": int.from_bytes(data, order),
                                "written": value is not None})
        finally:
            link.close()
    if as_json:
        _emit_json(results)
        return
    for r in results:
        mark = "← written, reads " if r["written"] else ""
        click.echo(f"R[0x{r['address']:08X}] {mark}= 0x{r['value']:0{len(r['bytes'])}X} "
                   f"({r['value']})")


# --------------------------------------------------------------------------- xml

def _progress_bar(description: str) -> tuple[Any, Callable[[int, int], None]]:
    from rich.progress import (BarColumn, DownloadColumn, Progress, TextColumn,
                               TransferSpeedColumn)

    progress = Progress(TextColumn(description), BarColumn(), DownloadColumn(),
                        TransferSpeedColumn(), console=_console(stderr=True), transient=True)
    task = progress.add_task(description, total=None)

    def update(done: int, total: int) -> None:
        progress.update(task, completed=done, total=total or None)

    return progress, update


@main.command()
@click.argument("url")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="write to this file (default: stdout)")
@click.option("--raw", is_flag=True, help="keep a zipped description zipped")
def xml(url: str, output: Path | None, raw: bool) -> None:
    """The device's description XML (downloaded from the device), with a progress bar."""
    from nodemap.transports import open_link

    progress, update = _progress_bar("downloading XML")
    with _Guard(url):
        link = open_link(url)
        try:
            with progress:
                documents = link.descriptions(update)
        finally:
            link.close()
    data = documents[0]
    if data[:2] == b"PK" and not raw:
        import io
        import zipfile

        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            inner = [n for n in archive.namelist() if n.lower().endswith(".xml")]
            if inner:
                data = archive.read(inner[0])
    if output:
        output.write_bytes(data)
        click.echo(f"{len(data)} bytes written to {output}", err=True)
    else:
        click.echo(data.decode("utf-8", "replace"), nl=not data.endswith(b"\n"))


# --------------------------------------------------------------------------- snapshot

@main.command()
@click.argument("url")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              default="snapshot.jpg", show_default=True)
@json_option
def snapshot(url: str, output: Path, as_json: bool) -> None:
    """Take a JPEG picture (SXH485 cameras), with a progress bar."""
    progress, update = _progress_bar("transferring picture")
    with _Opened(url) as cam:
        take = getattr(cam.link, "snapshot", None)
        if take is None:
            raise CliError(f"{url.partition(':')[0]}: cameras have no snapshot; it is "
                           f"available on sxh485: URLs", 2)
        with _Guard(url), progress:
            data = take(None, update)
    output.write_bytes(data)
    result = {"path": str(output), "bytes": len(data)}
    try:
        from PIL import Image

        with Image.open(output) as image:
            result["width"], result["height"] = image.size
    except Exception:  # noqa: BLE001 - pillow is optional
        pass
    if as_json:
        _emit_json(result)
    else:
        size = f" {result['width']}x{result['height']}" if "width" in result else ""
        click.echo(f"{len(data)} bytes of JPEG{size} written to {output}")


# --------------------------------------------------------------------------- save / load

@main.command()
@click.argument("url")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def save(url: str, file: Path) -> None:
    """Save the camera's feature set (streamable features) to a text file."""
    from . import persist

    with _Opened(url) as cam, _Guard(url):
        count = persist.save(cam, file)
    click.echo(f"{count} assignments saved to {file}")


@main.command()
@click.argument("url")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--no-verify", is_flag=True, help="do not read the values back")
@json_option
def load(url: str, file: Path, no_verify: bool, as_json: bool) -> None:
    """Restore a feature set; reports each feature that could not be restored, and why."""
    from . import persist

    with _Opened(url) as cam, _Guard(url):
        try:
            report = persist.load(cam, file, verify=not no_verify)
        except ValueError as exc:
            raise CliError(f"{file}: {exc}", 2) from None
    if as_json:
        _emit_json({"applied": report.applied, "verified": report.verified,
                    "problems": [{"name": p.name, "value": p.value, "reason": p.reason,
                                  "line": p.line} for p in report.problems]})
    else:
        click.echo(f"{report.applied} assignments applied, {report.verified} verified")
        for problem in report.problems:
            click.echo(f"not restored: {problem}", err=True)
    if report.problems:
        raise SystemExit(EXIT_PARTIAL)


# --------------------------------------------------------------------------- decode

@main.command()
@click.argument("hex_words", nargs=-1, metavar="HEX...")
@click.option("-f", "--file", "files", multiple=True, type=click.File("r"),
              help="read a capture from a file ('-' for stdin)")
@click.option("--xml", "xml_files", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="a device XML naming vendor registers (repeatable)")
@click.option("--profile", default="seed", show_default=True, help="SXH485 wire profile")
@json_option
def decode(hex_words: tuple[str, ...], files: tuple[Any, ...], xml_files: tuple[str, ...],
           profile: str, as_json: bool) -> None:
    """Annotate captured GVCP, VISCA or SXH485 packets (hex with any spacing/newlines).

    With no HEX and no --file, reads stdin.
    """
    from .decode import Decoder

    texts = []
    if hex_words:
        texts.append(" ".join(hex_words))
    for handle in files:
        texts.append(handle.read())
    if not texts:
        if sys.stdin.isatty():
            raise CliError("give HEX bytes, --file FILE, or pipe a capture to stdin", 2)
        texts.append(sys.stdin.read())
    with _Guard():
        decoder = Decoder(xml_files, sxh485_profile=profile)
        packets = []
        for text in texts:
            try:
                packets += decoder.decode_text(text)
            except ValueError as exc:
                raise CliError(str(exc), 2) from None
    if as_json:
        _emit_json([p.as_dict() for p in packets])
        return
    for packet in packets:
        click.echo(packet.render())
        if packet.error:
            click.echo(f"  ! {packet.error}")
    if any(p.error for p in packets):
        raise SystemExit(EXIT_ERROR)


# --------------------------------------------------------------------------- sim

@main.command()
@click.argument("kind", type=click.Choice(["gige", "fcb", "sxh485", "vs1"]))
@click.option("--xml", "xml_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="gige: the description to serve (default: the demo camera)")
@click.option("--address", "addresses", multiple=True,
              help="gige: IPv4 loopback address (default 127.0.0.2); sxh485: camera "
                   "address (repeatable)")
@click.option("--port", type=int, default=None, help="gige: UDP port (default 3956)")
@click.option("--cameras", type=int, default=1, show_default=True, help="fcb: cameras on the line")
@click.option("--tcp", "tcp", default=None, metavar="HOST:PORT",
              help="fcb/sxh485: serve on TCP instead of a pty (use socket://HOST:PORT)")
def sim(kind: str, xml_file: Path | None, addresses: tuple[str, ...], port: int | None,
        cameras: int, tcp: str | None) -> None:
    """Run a simulated device until Ctrl-C; prints the URL to open on the first line.

    vs1: FTP, HTTP, result streams and announcements on --port and the six ports above
    it (default: the real ports, which need root), on --address (default 127.0.0.1).
    """
    from . import demo

    if kind == "vs1":
        from nodemap.transports.vs1 import device as vs1_device

        argv = ["--host", addresses[0] if addresses else "127.0.0.1"]
        if port is not None:
            argv += ["--base-port", str(port)]
        sys.exit(vs1_device.main(argv))

    with _Guard():
        device = demo.start_simulator(kind, xml=xml_file, addresses=list(addresses),
                                      port=port, cameras=cameras, tcp=tcp)
    try:
        for url in device.urls:
            click.echo(url)
        click.echo(f"# simulated {kind} running; Ctrl-C stops", err=True)
        sys.stdout.flush()
        demo.wait_for_signal()
    finally:
        device.close()


# --------------------------------------------------------------------------- demo

@main.command(name="demo")
@click.option("--keep", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="keep the files the demo writes (feature sets, JPEG) in this folder")
def demo_(keep: Path | None) -> None:
    """Simulate a GigE, an FCB and an SXH485 camera and drive all three, no hardware needed."""
    from . import demo

    raise SystemExit(demo.run(keep=keep))


# --------------------------------------------------------------------------- authoring

def _add_authoring() -> None:
    try:
        from .authoring import cli as authoring_cli  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - authoring is optional (sympy may be absent)
        return
    for attr in ("lint_command", "graph_command"):
        command = getattr(authoring_cli, attr, None)
        if isinstance(command, click.Command):
            main.add_command(command)


_add_authoring()


def _iter_names(items: Iterator[str]) -> list[str]:  # pragma: no cover - helper for plugins
    return list(items)


if __name__ == "__main__":  # pragma: no cover
    main()
