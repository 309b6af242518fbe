"""The ``nodemap`` command: the same verbs for every camera URL, whatever its transport plugin.

    nodemap discover [--interface IP] [--address IP] [--serial PORT]
    nodemap features URL [--visibility Expert]
    nodemap get URL Width Height          nodemap set URL Width=640 PixelFormat=Mono8
    nodemap describe URL Width            nodemap values URL
    nodemap execute URL TriggerSoftware   nodemap reg URL 0x0D04[=1500]
    nodemap xml URL -o camera.xml         nodemap snapshot URL -o picture.jpg
    nodemap save URL camera.nmfs          nodemap load URL camera.nmfs
    nodemap decode 42 01 00 80 …          nodemap sim NAME (one per plugin simulator)
    nodemap demo                          nodemap plugins

Transport-specific options (``discover``, ``decode``, ``sim``) come from the installed
plugins (``nodemap.plugin.TransportPlugin``); nothing here names a transport.

Every reading verb takes ``--json`` (one JSON document on stdout).  Exit codes:
0 success, 1 other error, 2 usage error, 3 unknown feature or name, 4 device not
reachable (timeout, serial line, port), 5 the device refused (access mode, range,
device status), 6 a feature set was only partly restored.  Errors go to stderr with
what to check.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Literal

import click

if TYPE_CHECKING:
    from ..features import Feature
    from .camera import Camera

__all__ = ["main", "EXIT_NOT_FOUND", "EXIT_UNREACHABLE", "EXIT_REFUSED", "EXIT_PARTIAL"]

EXIT_ERROR = 1
EXIT_NOT_FOUND = 3
EXIT_UNREACHABLE = 4
EXIT_REFUSED = 5
EXIT_PARTIAL = 6

VISIBILITY = ("Beginner", "Expert", "Guru", "Invisible")
_HIDDEN_KINDS = {"EnumEntry", "Port"}


# --------------------------------------------------------------------------- output helpers

#: C0/C1 control characters and DEL shown as \xNN: a device's name or string register, or a
#: description's texts, could otherwise hide terminal escape sequences in what we print.
_CONTROLS = {c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7F, 0xA0))}
_CONTROLS_BUT_LINES = {c: e for c, e in _CONTROLS.items() if c not in (0x09, 0x0A)}


def _printable(text: str, *, lines: bool = False) -> str:
    """``text`` with control characters escaped (``lines``: newlines and tabs kept)."""
    return text.translate(_CONTROLS_BUT_LINES if lines else _CONTROLS)


def _text(value: Any, style: str = "") -> Any:
    """A rich cell or label for text that came from a device or a file: never read as
    markup (a name like ``[/]`` would crash rich), control characters escaped."""
    from rich.text import Text

    return Text(_printable(value if isinstance(value, str) else _show(value)), style=style)


if TYPE_CHECKING:
    _FloatParam = click.ParamType[float]
else:                                   # generic at run time only in recent click
    _FloatParam = click.ParamType


class _Seconds(_FloatParam):
    """A duration option: a finite number of seconds from 0 to a day (nan, inf, negative
    and huge values are usage errors, not OverflowErrors deep inside a transport)."""

    name = "SECONDS"

    def convert(self, value: Any, param: Any, ctx: Any) -> float:
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number of seconds", param, ctx)
        if not 0 <= seconds <= 86_400:      # also refuses nan
            self.fail(f"{value!r}: give 0 to 86400 seconds", param, ctx)
        return seconds


SECONDS = _Seconds()


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
        return _printable(value.rstrip("\0"))
    return _printable(str(value))


class CliError(click.ClickException):
    """An error with its own exit code."""

    def __init__(self, message: str, code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        # click declares exit_code a class attribute; each CliError carries its own code.
        self.exit_code = code  # type: ignore[misc]  # see the line above

    def show(self, file: Any = None) -> None:
        click.echo(f"nodemap: error: {_printable(self.format_message(), lines=True)}", err=True)


def _hint_for(url: str) -> str:
    from .. import errors
    from .plugins import plugin_for

    try:
        return plugin_for(url).unreachable_hint
    except errors.NodeMapError:
        return "check the URL"


def _translate(exc: BaseException, url: str | None = None) -> CliError:
    from .. import errors

    where = f" ({url})" if url else ""
    if isinstance(exc, KeyError):
        message = exc.args[0] if exc.args else str(exc)
        return CliError(str(message), EXIT_NOT_FOUND)
    if isinstance(exc, errors.TimeoutError):
        return CliError(f"no answer{where}: {exc}\n  what to check: {_hint_for(url or '')}",
                        EXIT_UNREACHABLE)
    if isinstance(exc, (errors.AccessError, errors.RangeError, errors.DeviceError)):
        return CliError(f"{exc}{where}", EXIT_REFUSED)
    if isinstance(exc, ValueError):   # ParameterError, an unaligned address ...: the user's input
        return CliError(f"{exc}{where}", 2)
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

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> None:
        from ..errors import NodeMapError

        if exc is None or isinstance(exc, (click.ClickException, click.exceptions.Exit,
                                           click.Abort)):
            return
        if isinstance(exc, (NodeMapError, KeyError, OSError)):
            raise _translate(exc, self.url) from exc


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

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> None:
        try:
            if self.cam is not None:
                self.cam.close()
        finally:
            if exc is not None and not isinstance(exc, (click.ClickException, click.Abort,
                                                        click.exceptions.Exit)):
                from ..errors import NodeMapError

                if isinstance(exc, (NodeMapError, KeyError, OSError)):
                    raise _translate(exc, self.url) from exc


def _feature(cam: Camera, name: str) -> Feature:
    try:
        return cam.features[name]
    except KeyError as exc:
        raise CliError(str(exc.args[0]) if exc.args else f"no feature {name!r}",
                       EXIT_NOT_FOUND) from None


def parse_for(feature: Feature, text: str) -> Any:
    """The value ``text`` means for ``feature`` (by its kind)."""
    from ..persist import parse_value

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


def _readable(feature: Feature) -> bool:
    try:
        return feature.kind not in ("Command", "Category", "Port", "EnumEntry") and \
            feature.access in ("RO", "RW")
    except Exception:  # noqa: BLE001 - a broken node is simply not listed as readable
        return False


def _visible(feature: Feature, level: str) -> bool:
    try:
        vis = feature.visibility or "Beginner"
    except Exception:  # noqa: BLE001
        vis = "Beginner"
    rank = {v: i for i, v in enumerate(VISIBILITY)}
    return rank.get(vis, 0) <= rank[level]


# --------------------------------------------------------------------------- the group

class _MainGroup(click.Group):
    """The ``nodemap`` group: its help ends with the installed transport plugins."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name, plugin in _loaded_plugins().items():
            forms = "  ".join(plugin.url_forms) or ", ".join(s + ":" for s in plugin.schemes)
            rows.append((name, f"{plugin.summary}: {forms}"))
        if rows:
            with formatter.section("Transports (installed plugins; nodemap plugins)"):
                formatter.write_dl(rows)
        super().format_epilog(ctx, formatter)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ValueError as exc:   # a NUL byte in a path argument, whichever verb opened it
            if "null byte" not in str(exc):
                raise
            raise click.UsageError("an argument contains a NUL byte (\\x00); file names and "
                                   "URLs cannot contain one") from exc


@click.group(cls=_MainGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="nodemap", message="nodemap %(version)s")
@click.option("-v", "--verbose", count=True, help="log packets (-v info, -vv every packet)")
def main(verbose: int) -> None:
    """One GenICam feature API for every camera, whatever wire it speaks."""
    if verbose:
        import logging

        logging.basicConfig(level=logging.DEBUG if verbose > 1 else logging.INFO,
                            format="%(name)s %(message)s", stream=sys.stderr)


json_option = click.option("--json", "as_json", is_flag=True, help="print JSON for scripts")


# --------------------------------------------------------------------------- discover

def _plugin_options(options: Any) -> Callable[[Any], Any]:
    """Decorate a command with plugin-declared :class:`~nodemap.plugin.Option` objects."""
    kinds = {"str": str, "int": int, "float": float,
             "path": click.Path(path_type=Path),
             "existing-file": click.Path(exists=True, dir_okay=False, path_type=Path)}

    def decorate(command: Any) -> Any:
        seen: set[str] = set()
        for option in reversed(list(options)):
            if option.dest in seen:
                continue
            seen.add(option.dest)
            if option.kind == "flag":
                command = click.option(*option.flags, option.dest, is_flag=True,
                                       default=bool(option.default), help=option.help)(command)
            else:
                command = click.option(
                    *option.flags, option.dest, type=kinds.get(option.kind, str),
                    multiple=option.multiple, default=() if option.multiple else option.default,
                    show_default=option.default is not None and not option.multiple,
                    metavar=option.metavar, help=option.help)(command)
        return command

    return decorate


def _loaded_plugins() -> dict[str, Any]:
    from .plugins import plugins

    return plugins()


def _discover_options() -> list[Any]:
    return [o for p in _loaded_plugins().values() for o in p.discover_options]


@main.command()
@click.option("--transport", "transports", multiple=True, metavar="NAME",
              help="ask only this transport plugin (repeatable; `nodemap plugins` lists them)")
@click.option("--interface", help="only this network interface (its name or IPv4 address)")
@click.option("--address", "unicast", help="ask one device by unicast instead of broadcasting")
@click.option("--serial", "serial_ports", multiple=True, metavar="PORT",
              help="probe this serial line with every serial transport (repeatable)")
@click.option("--timeout", type=SECONDS, default=1.0, show_default=True, help="seconds to listen")
@_plugin_options(_discover_options())
@json_option
def discover(transports: tuple[str, ...], interface: str | None, unicast: str | None,
             serial_ports: tuple[str, ...], timeout: float, as_json: bool,
             **plugin_options: Any) -> None:
    """Find devices with every installed transport plugin (GigE Vision by broadcast on
    every interface, serial cameras on --serial lines, ...).

    Exit status 0 when something was found, 1 when nothing answered.
    """
    from ..plugin import DiscoveryRequest

    loaded = _loaded_plugins()
    unknown = [t for t in transports if t not in loaded]
    if unknown:
        raise CliError(f"--transport {', '.join(unknown)}: not an installed plugin; "
                       f"installed: {', '.join(loaded)}", 2)
    asked = set(transports)
    for name, plugin in loaded.items():     # a plugin's own activation flag, e.g. --vs1
        if not plugin.discover_by_default and plugin_options.get(name):
            asked.add(name)
    for port in serial_ports:
        if "://" not in port and not port.upper().startswith("COM") and \
                not os.path.exists(port):
            raise CliError(f"--serial {port}: no such serial port (check the name, e.g. "
                           f"ls /dev/ttyUSB* /dev/ttyACM*, and that the adapter is plugged in)",
                           EXIT_UNREACHABLE)
    rows: list[dict[str, Any]] = []
    remaining = tuple(serial_ports)
    with _Guard():
        for name, plugin in loaded.items():
            if plugin.discover is None or (asked and name not in asked) or \
                    (not asked and not plugin.discover_by_default):
                continue
            request = DiscoveryRequest(timeout=timeout, interface=interface, address=unicast,
                                       serial_ports=remaining, only=frozenset(asked),
                                       options=plugin_options)
            try:
                found = list(plugin.find(request))
            except ValueError as exc:
                raise CliError(str(exc), 2) from None
            except OSError as exc:
                raise CliError(f"{name} discovery: {exc}", EXIT_UNREACHABLE) from None
            claimed = {d.interface for d in found}
            remaining = tuple(port for port in remaining if port not in claimed)
            rows += [d.as_dict() for d in found]
    if as_json:
        _emit_json(rows)
    elif not rows:
        click.echo("no devices found (GigE: is the camera in your subnet? serial: "
                   "--serial PORT; nodemap plugins lists what can be asked)", err=True)
    else:
        from rich.table import Table

        table = Table()
        for title in ("URL", "vendor", "model", "serial", "MAC", "via"):
            table.add_column(title, overflow="fold")    # never cut a URL: wrap it
        for row in rows:
            table.add_row(*(_text(row.get(key, "")) for key in
                            ("url", "vendor", "model", "serial", "mac", "interface")))
        _console().print(table)
    if not rows:
        raise SystemExit(EXIT_ERROR)


@main.command()
@json_option
def plugins(as_json: bool) -> None:
    """The installed transport plugins: schemes, simulators, decoders, capabilities."""
    from .plugins import load_errors

    rows = []
    for name, plugin in _loaded_plugins().items():
        rows.append({"name": name, "summary": plugin.summary, "schemes": list(plugin.schemes),
                     "urls": list(plugin.url_forms),
                     "simulators": [s.name for s in plugin.simulators],
                     "discover": plugin.discover is not None,
                     "decoder": plugin.decoder is not None,
                     "capabilities": sorted(plugin.capabilities)})
    broken = load_errors()
    if as_json:
        _emit_json({"plugins": rows, "errors": broken})
        return
    for row in rows:
        click.echo(f"{row['name']}: {row['summary']}")
        click.echo(f"  URLs: {'  '.join(row['urls']) or ', '.join(s + ':' for s in row['schemes'])}")
        extras = [f"capabilities {', '.join(row['capabilities'])}"]
        if row["simulators"]:
            extras.append(f"nodemap sim {' | '.join(row['simulators'])}")
        if row["discover"]:
            extras.append("discover")
        if row["decoder"]:
            extras.append("decode")
        click.echo(f"  {'; '.join(extras)}")
    for name, why in broken.items():
        click.echo(f"{name}: NOT LOADED: {why}", err=True)


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
            branch = node.add(_text(item["name"], "bold"))
            for child in item["features"]:
                add(branch, child)
        else:
            label = _text(item["name"])
            label.append_text(_text(f"  {item['kind']} {item['access']}", "dim"))
            node.add(label)

    root = Tree(_text(url, "bold"))
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

def describe_feature(cam: Camera, name: str) -> dict[str, Any]:
    """Every metadata field of one feature, its value and bounds, and its registers."""
    from ..interfaces import IRegisterSpan

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
        if isinstance(node, IRegisterSpan):            # register-backed: has an address
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
        table = Table(title=_text(f"{info['name']} ({info['kind']})"), show_header=False)
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
            table.add_row(key, _text(_show(value)))
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
        table.add_row(_text(name), _text(_show(value)))
    for name, message in errors.items():
        table.add_row(_text(name), _text(message, "red"))
    _console().print(table)


# --------------------------------------------------------------------------- execute

@main.command()
@click.argument("url")
@click.argument("command")
@click.option("--wait/--no-wait", default=True, show_default=True,
              help="wait until the device reports the command done")
@click.option("--timeout", type=SECONDS, default=10.0, show_default=True)
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
    from .plugins import open_link

    order: Literal["little", "big"] = "little" if little_endian else "big"
    results: list[dict[str, Any]] = []
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
                        from ..capture import RegisterNames

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
    from .plugins import open_link

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
        from ..loader import read_source

        with _Guard(url):
            data = read_source(data)     # the loader's hardened unzip
    if output:
        output.write_bytes(data)
        click.echo(f"{len(data)} bytes written to {output}", err=True)
    else:
        click.echo(data.decode("utf-8", "replace"), nl=not data.endswith(b"\n"))


# --------------------------------------------------------------------------- grab

@main.command()
@click.argument("url")
@click.option("-n", "--count", type=click.IntRange(min=0), default=1, show_default=True,
              help="frames to take (0: until Ctrl-C)")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="a folder (frame-<id>.<ext> each) or a file name; default: save nothing")
@click.option("--format", "fmt", type=click.Choice(["png", "tiff", "npy", "raw"]), default=None,
              help="file format (default: from the file name, else png)")
@click.option("--timeout", type=SECONDS, default=2.0, show_default=True,
              help="seconds to wait for each frame")
@click.option("--buffers", type=click.IntRange(min=1), default=8, show_default=True,
              help="frame buffers in the pool")
@click.option("--packet-size", type=click.IntRange(min=576, max=16384), default=None,
              help="fix the GVSP packet size instead of negotiating it")
@click.option("--chunks", is_flag=True, help="print each frame's chunk data values")
@json_option
def grab(url: str, count: int, output: Path | None, fmt: str | None, timeout: float,
         buffers: int, packet_size: int | None, chunks: bool, as_json: bool) -> None:
    """Take pictures from any camera that makes images (GigE Vision, SXH485 ...), with a
    live line (frames/s, MB/s, incomplete, resent) and a statistics table at the end."""
    from .grab import grab_frames

    with _Opened(url) as cam, _Guard(url):
        report = grab_frames(cam, count, timeout, output, fmt, buffers, packet_size, chunks)
    if as_json:
        _emit_json(report)
    else:
        from rich.table import Table

        for row in report["frames"]:
            click.echo(f"frame {row['frame_id']}: {row['width']}x{row['height']} "
                       f"{row['pixel_format']} {row['status']}"
                       + (f" → {row['path']}" if "path" in row else ""))
            if "chunks" in row:
                click.echo("  " + (" ".join(f"{k}={v}" for k, v in row["chunks"].items())
                                   or "(no chunk data)"))
        table = Table("statistic", "value")
        table.add_row("frames", str(len(report["frames"])))
        table.add_row("seconds", f"{report['seconds']:.3f}")
        table.add_row("frames/s", str(report["frames_per_second"]))
        table.add_row("MB/s", str(report["megabytes_per_second"]))
        for key, value in report["stats"].items():
            table.add_row(key, str(value))
        _console().print(table)
    if report["interrupted"]:
        raise SystemExit(130)
    if any(row["status"] != "complete" for row in report["frames"]):
        raise SystemExit(EXIT_PARTIAL)


# --------------------------------------------------------------------------- snapshot

@main.command()
@click.argument("url")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              default="snapshot.jpg", show_default=True)
@json_option
def snapshot(url: str, output: Path, as_json: bool) -> None:
    """Take a picture with a camera that has snapshots (e.g. SXH485), with a progress bar."""
    progress, update = _progress_bar("transferring picture")
    with _Opened(url) as cam:
        take = getattr(cam.link, "snapshot", None)
        if take is None:
            from .plugins import plugins as _plugins

            able = [f"{p.schemes[0]}:" for p in _plugins().values()
                    if "snapshot" in p.capabilities]
            raise CliError(f"{url.partition(':')[0]}: cameras have no snapshot; it is "
                           f"available on {', '.join(able) or 'no installed transport'} URLs", 2)
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

_format_option = click.option(
    "--format", "fmt", type=click.Choice(["nmfs", "pfs"]), default=None,
    help="nodemap's text format or the GenApi feature file (.pfs) that pylon Viewer and "
         "viva-genicam exchange (default: from the file name; load: from the content)")


@main.command()
@click.argument("url")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@_format_option
@json_option
def save(url: str, file: Path, fmt: str | None, as_json: bool) -> None:
    """Save the camera's feature set (streamable features) to a text file, atomically;
    every feature left out is listed with the reason."""
    from .. import persist

    with _Opened(url) as cam, _Guard(url):
        report = persist.store(cam, file, format=fmt)
    skipped = [str(item) for item in report.skipped]
    if as_json:
        _emit_json({"path": str(file), "format": report.format,
                    "assignments": report.assignments, "skipped": skipped})
        return
    click.echo(f"{report.assignments} assignments saved to {file} ({report.format})")
    for item in skipped:
        click.echo(f"not saved: {_printable(item)}", err=True)


@main.command()
@click.argument("url")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--no-verify", is_flag=True, help="do not read the values back")
@_format_option
@json_option
def load(url: str, file: Path, no_verify: bool, fmt: str | None, as_json: bool) -> None:
    """Restore a feature set (either format); the whole file is checked before anything is
    applied; reports each feature that could not be restored, and why."""
    from .. import persist

    with _Opened(url) as cam, _Guard(url):
        try:
            report = persist.load(cam, file, verify=not no_verify, format=fmt)
        except ValueError as exc:   # FeatureSetError: it names the file and the lines
            raise CliError(str(exc), 2) from None
    if as_json:
        _emit_json({"format": report.format, "applied": report.applied,
                    "verified": report.verified,
                    "problems": [{"name": p.name, "value": p.value, "reason": p.reason,
                                  "line": p.line} for p in report.problems]})
    else:
        click.echo(f"{report.applied} assignments applied, {report.verified} verified")
        for problem in report.problems:
            click.echo(f"not restored: {_printable(str(problem))}", err=True)
    if report.problems:
        raise SystemExit(EXIT_PARTIAL)


# --------------------------------------------------------------------------- decode

@main.command()
@click.argument("hex_words", nargs=-1, metavar="HEX...")
@click.option("-f", "--file", "files", multiple=True, type=click.File("r"),
              help="read a capture from a file ('-' for stdin)")
@click.option("--xml", "xml_files", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="a device XML naming vendor registers (repeatable)")
@_plugin_options([o for p in _loaded_plugins().values() for o in p.decode_options])
@json_option
def decode(hex_words: tuple[str, ...], files: tuple[Any, ...], xml_files: tuple[str, ...],
           as_json: bool, **decoder_options: Any) -> None:
    """Annotate captured packets of every installed plugin's protocol (hex with any
    spacing/newlines): SXH485, VISCA, GVCP ... (`nodemap plugins` lists the decoders).

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
        from ..errors import PortError

        try:
            decoder = Decoder(xml_files, **decoder_options)
        except (ValueError, PortError) as exc:   # a decoder option the user mistyped
            raise CliError(str(exc), 2) from None
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

class _SimGroup(click.Group):
    """``nodemap sim NAME``: one sub-command per simulator a plugin offers, made on demand."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        from .plugins import simulators

        return sorted(simulators())

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        from .plugins import simulators

        offered = simulators()
        if name not in offered:
            return None
        plugin, spec = offered[name]

        @_plugin_options(spec.options)
        def run(**options: Any) -> None:
            _run_simulator(name, spec, options)

        run.__doc__ = f"{spec.summary} ({plugin.name} plugin)."
        return click.command(name=name, help=f"{spec.summary[:1].upper()}{spec.summary[1:]}"
                             f" (the {plugin.name} plugin). Runs until Ctrl-C; the first "
                             f"line printed is the URL to open.")(run)


def _run_simulator(name: str, spec: Any, options: dict[str, Any]) -> None:
    from ..plugin import resolve
    from .simulators import start_simulator, wait_for_signal

    if spec.start is None:
        try:
            status = resolve(spec.main)(**options)
        except ValueError as exc:
            raise CliError(f"sim {name}: {exc}", 2) from None
        sys.exit(status)
    with _Guard():
        try:
            device = start_simulator(name, **options)
        except ValueError as exc:
            raise CliError(f"sim {name}: {exc}", 2) from None
        except OSError as exc:
            raise CliError(f"sim {name}: {exc}", EXIT_UNREACHABLE) from None
    try:
        for url in device.urls:
            click.echo(url)
        click.echo(f"# simulated {name} running; Ctrl-C stops", err=True)
        sys.stdout.flush()
        wait_for_signal()
    finally:
        device.close()


@main.group(cls=_SimGroup)
def sim() -> None:
    """Run a simulated device until Ctrl-C; prints the URL to open on the first line.

    Every installed transport plugin may offer simulators (`nodemap plugins`).
    """


# --------------------------------------------------------------------------- events

@main.command()
@click.argument("url")
@click.option("--enable", "enable", multiple=True, metavar="NAME",
              help="turn on the notification of this event (EventSelector; repeatable)")
@click.option("-n", "--count", type=click.IntRange(min=1), default=None,
              help="stop after this many events (default: until Ctrl-C)")
@click.option("--idle", type=SECONDS, default=None, help="stop after this many quiet seconds")
@json_option
def events(url: str, enable: tuple[str, ...], count: int | None, idle: float | None,
           as_json: bool) -> None:
    """A live log of the device's events (GigE Vision message channel) until Ctrl-C."""
    from .events_cli import run

    with _Guard(url):
        try:
            run(url, enable, as_json, limit=count, idle=idle)
        except ValueError as exc:
            raise CliError(f"{url}: {exc}", 2) from None


# --------------------------------------------------------------------------- file

@main.group(name="file")
@click.argument("url")
@click.pass_context
def file_(ctx: click.Context, url: str) -> None:
    """The device's files: list them, get (download) or put (upload) one, with a progress
    bar.  GenApi file access (FileSelector ...) or the transport's own (VS-1: FTP)."""
    ctx.obj = url


def _file_verb(url: str, action: Callable[[Any], Any]) -> Any:
    from ..errors import NodeMapError
    from .files_cli import file_error, files_of

    try:
        with _Opened(url) as cam:
            return action(files_of(cam))
    except CliError as exc:
        cause = exc.__cause__
        if isinstance(cause, NodeMapError):
            mapped = file_error(cause)
            if mapped is not None:
                raise CliError(f"{mapped[0]} ({url})", mapped[1]) from cause
        raise


@file_.command(name="list")
@json_option
@click.pass_obj
def file_list(url: str, as_json: bool) -> None:
    """The files the device names, with their sizes where it says them."""
    from .files_cli import echo_listing, list_files

    rows = _file_verb(url, list_files)
    if as_json:
        _emit_json(rows)
    else:
        echo_listing(rows)


@file_.command(name="get")
@click.argument("name")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="write to this file (default: stdout)")
@json_option
@click.pass_obj
def file_get(url: str, name: str, output: Path | None, as_json: bool) -> None:
    """Download file NAME (to stdout unless -o; --json reports it, the bytes in hex when
    there is no -o)."""
    from .files_cli import progress_for, write_local

    bar, update = progress_for(f"reading {name}")

    def action(files: Any) -> bytes:
        with bar:
            data: bytes = files.read(name, progress=update)
            return data

    data = _file_verb(url, action)
    if as_json:
        if output is not None:
            write_local(output, data)
        _emit_json({"name": name, "bytes": len(data), "path": str(output) if output else None,
                    **({} if output is not None else {"hex": data.hex()})})
        return
    write_local(output, data)
    if output is not None and str(output) != "-":
        click.echo(f"{len(data)} bytes of {name} written to {output}", err=True)


@file_.command(name="put")
@click.argument("name")
@click.argument("source", metavar="FILE")
@json_option
@click.pass_obj
def file_put(url: str, name: str, source: str, as_json: bool) -> None:
    """Upload FILE ('-' for stdin) as file NAME on the device (replacing it)."""
    from .files_cli import progress_for, read_local

    data = read_local(source)
    bar, update = progress_for(f"writing {name}")

    def action(files: Any) -> int:
        with bar:
            return int(files.write(name, data, progress=update))

    written = _file_verb(url, action)
    if as_json:
        _emit_json({"name": name, "bytes": written, "source": source})
    else:
        click.echo(f"{written} bytes written to {name}")


# --------------------------------------------------------------------------- ui

@main.command()
@click.argument("url", required=False)
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="TCP port (0: any free one)")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="address to listen on (anything but loopback warns: the token is the only guard)")
@click.option("--no-browser", is_flag=True, help="print the URL, do not open a browser")
@click.option("--interface", help="without URL: discover only on this network interface")
@click.option("--address", "unicast", help="without URL: ask this device by unicast instead of "
              "broadcasting")
@click.option("--serial", "serial_ports", multiple=True, metavar="PORT",
              help="without URL: probe this serial line too (repeatable)")
def ui(url: str | None, port: int, host: str, no_browser: bool, interface: str | None,
       unicast: str | None, serial_ports: tuple[str, ...]) -> None:
    """A feature browser and live view for URL in the web browser (local server, the
    access token in the printed URL; Ctrl-C stops it).  Without URL the page offers the
    discovered devices and simulators it can start."""
    try:
        from .ui.picker import Devices
        from .ui.server import serve
    except ImportError as exc:
        raise CliError(f"nodemap ui needs aiohttp: pip install 'nodemap[ui]' ({exc})") from None
    from ..plugin import DiscoveryRequest
    from .simulators import wait_for_signal

    devices = None
    if url is None:
        devices = Devices(DiscoveryRequest(timeout=1.0, interface=interface, address=unicast,
                                           serial_ports=serial_ports))
    with _Guard(url):
        try:
            server = serve(url, port=port, host=host, open_browser=not no_browser,
                           devices=devices)
        except ValueError as exc:
            raise CliError(f"{url}: {exc}", 2) from None
        except OSError as exc:
            raise CliError(f"cannot listen on {host}:{port}: {exc}", EXIT_UNREACHABLE) from None
    click.echo(f"nodemap ui: {server.url}")
    sys.stdout.flush()
    cam = server.cam
    try:
        wait_for_signal()
    finally:
        server.stop()
        if url is not None and cam is not None:
            cam.close()


# --------------------------------------------------------------------------- demo

@main.command(name="demo")
@click.option("--keep", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="keep the files the demo writes (feature sets, JPEG) in this folder")
def demo_(keep: Path | None) -> None:
    """Start every plugin's demo simulator (GigE, FCB, SXH485 ...) and drive them all the
    same way, no hardware needed."""
    from . import demo

    raise SystemExit(demo.run(keep=keep))


# --------------------------------------------------------------------------- authoring

def _add_authoring() -> None:
    try:
        from ..authoring import cli as authoring_cli
    except Exception:  # noqa: BLE001 - authoring is optional (sympy may be absent)
        return
    for attr in ("lint_command", "graph_command"):
        command = getattr(authoring_cli, attr, None)
        if isinstance(command, click.Command):
            main.add_command(command)


_add_authoring()


if __name__ == "__main__":  # pragma: no cover
    main()
