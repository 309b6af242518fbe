"""What the viewer's page asks of a camera, as JSON-ready dicts (no HTTP in here).

Every call goes through the feature API; a NodeMapError becomes ``{"error": text}`` so the
page shows the message next to the feature, never a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ...errors import NodeMapError

VISIBILITY = {"Beginner": 0, "Expert": 1, "Guru": 2, "Invisible": 3}


def _try(function: Any, *args: Any) -> Any:
    try:
        return function(*args)
    except NodeMapError:
        return None


def tree(cam: Any) -> dict[str, Any]:
    """The category tree from Root: ``{name, kind, visibility, children}``."""
    features = cam.features
    seen: set[str] = set()

    def walk(name: str) -> dict[str, Any]:
        f = features[name]
        node: dict[str, Any] = {"name": name, "kind": f.kind,
                                "visibility": _try(lambda: f.visibility) or "Beginner",
                                "display_name": _try(lambda: f.display_name) or name}
        if f.kind == "Category" and name not in seen:
            seen.add(name)
            children = []
            for child in _try(lambda: f.features) or []:
                if child in features:
                    children.append(walk(child))
            node["children"] = children
        return node

    if "Root" not in features:
        return {"name": "Root", "kind": "Category", "visibility": "Beginner",
                "display_name": "Root", "children": []}
    return walk("Root")


FEATURE_TYPES = ("Integer", "Float", "Boolean", "Enumeration", "Command", "String")
CONDITIONS = (("pIsImplemented", "not implemented: needs"),
              ("pIsAvailable", "not available: needs"),
              ("pIsLocked", "locked: while"))


def _all_edges(cam: Any, cache: dict[str, Any]) -> Any:
    """The whole description's graph edges (built once per device, kept in ``cache``)."""
    edges = cache.get("all_edges")
    if edges is None:
        from ...authoring.graph import build_graph
        edges = cache["all_edges"] = build_graph(_document(cam, cache)).edges
    return edges


def setters(cam: Any, pointer: str, cache: dict[str, Any]) -> list[str]:
    """The user-facing features whose value is ``pointer`` (through pValue chains):
    "TriggerMode" for the register TriggerModeReg."""
    target = pointer.partition(".")[0]
    edges = _all_edges(cam, cache)
    found: list[str] = []
    seen = {target}
    layer = [target]
    for _ in range(6):                      # pValue chains are short
        parents = [e.source for e in edges if e.kind == "depends" and e.target in layer
                   and e.label.split(" ")[0] == "pValue" and e.source not in seen]
        if not parents:
            break
        seen.update(parents)
        found += [p for p in parents if p in cam.features
                  and cam.nodemap.element_type(p) in FEATURE_TYPES]
        layer = parents
    return sorted(set(found))


def why(cam: Any, name: str, access: str, cache: dict[str, Any]) -> str:
    """Which condition makes ``name`` NI, NA or locked (RO), its value now, and which
    feature sets it; "" when no pIsImplemented/pIsAvailable/pIsLocked explains it."""
    node = cam.nodemap.node(name)
    for tag, words in CONDITIONS:
        pointer = node.text(tag)
        if not pointer:
            continue
        try:
            now: Any = cam.nodemap.reader(pointer)()
        except NodeMapError:
            now = None
        holds = bool(now) if now is not None else False
        if tag == "pIsLocked" and not (holds and access in ("RO", "NA")):
            continue
        if tag != "pIsLocked" and (holds or access not in ("NI", "NA")):
            continue
        if tag == "pIsImplemented" and access != "NI":
            continue
        facts = ["unreadable" if now is None else f"now {now}"]
        for setter in setters(cam, pointer, cache):
            if setter != name:
                value = _try(lambda s=setter: cam.features[s].value)
                facts.append(f"{setter} = {value}" if value is not None else setter)
        return f"{words} {pointer} ≠ 0 ({'; '.join(facts)})"
    return ""


def describe(cam: Any, name: str, cache: dict[str, Any] | None = None) -> dict[str, Any]:
    """One feature's current state: value, bounds, access and its reason, text.  With
    ``cache`` (the viewer's graph cache) the reason names the condition and its feature."""
    f = cam.features[name]
    out: dict[str, Any] = {"name": name, "kind": f.kind}
    for key in ("unit", "description", "tooltip", "display_name", "visibility",
                "representation", "polling_time"):
        out[key] = _try(lambda k=key: getattr(f, k))
    try:
        access = f.access
    except NodeMapError as exc:
        out.update(access="NA", reason=str(exc))
        return out
    out["access"] = access
    because = ""
    if cache is not None and access in ("NA", "NI", "RO"):
        try:
            because = why(cam, name, access, cache)
        except (NodeMapError, KeyError):
            because = ""
    if because:
        out["reason"] = because
    if access in ("NA", "NI"):
        if not because:
            try:
                f.node.check_readable()
            except NodeMapError as exc:
                out["reason"] = str(exc)
        return out
    if f.kind == "Category":
        return out
    if f.kind == "Command":
        out["is_done"] = _try(f.is_done)
        return out
    if access in ("RW", "RO"):
        try:
            value = f.value
            out["value"] = value.hex() if isinstance(value, bytes) else value
        except NodeMapError as exc:
            out["error"] = str(exc)
    if f.kind in ("Integer", "Float", "IntReg", "IntSwissKnife", "SwissKnife", "Converter",
                  "IntConverter", "MaskedIntReg", "FloatReg", "StructEntry"):
        out["min"] = _try(lambda: f.min)
        out["max"] = _try(lambda: f.max)
        out["inc"] = _try(lambda: f.inc)
    if f.kind == "Enumeration":
        out["entries"] = _try(lambda: f.entries) or []
    if f.kind in ("String", "StringReg"):
        out["max_length"] = _try(lambda: f.max_length)
    return out


def coerce(cam: Any, name: str, text: Any) -> Any:
    """The value the page sent, as the feature's type (it sends text or JSON)."""
    kind = cam.features[name].kind
    if not isinstance(text, str):
        return text
    if kind in ("Boolean",):
        return text.strip().lower() in ("1", "true", "on", "yes")
    if kind in ("Float", "FloatReg", "Converter", "SwissKnife"):
        return float(text)
    if kind in ("Integer", "IntReg", "MaskedIntReg", "IntConverter", "IntSwissKnife",
                "StructEntry"):
        return int(text, 0)
    return text


def write(cam: Any, name: str, value: Any) -> dict[str, Any]:
    """Write (or execute a command) and report the error text, if any."""
    f = cam.features[name]
    try:
        if f.kind == "Command":
            f.execute()
        else:
            f.value = coerce(cam, name, value)
    except NodeMapError as exc:
        return {"ok": False, "error": str(exc)}
    except ValueError:
        return {"ok": False, "error": f"{name}: {value!r} is not a valid {f.kind} value"}
    return {"ok": True}


def save_set(cam: Any, path: Path, file_format: str) -> dict[str, Any]:
    from ... import persist
    try:
        report = persist.store(cam, path, format=file_format)
    except NodeMapError as exc:
        return {"ok": False, "error": str(exc)}
    return {"ok": True, "path": str(path), "report": str(report)}


def load_set(cam: Any, path: Path) -> dict[str, Any]:
    """Replay a feature-set file and report every line: applied, or the reason it was not."""
    from ... import persist
    from ...persist.files import decode
    try:
        text = decode(path.read_bytes(), str(path))
        assignments = persist.parse(text)
        report = persist.loads(cam, text, source=str(path))
    except NodeMapError as exc:
        return {"ok": False, "error": str(exc)}
    except OSError as exc:
        return {"ok": False, "error": f"cannot read {path}: {exc.strerror}"}
    problems = {(p.name, p.line): p.reason for p in report.problems}
    by_name = {p.name: p.reason for p in report.problems if not p.line}
    lines = []
    for a in assignments:
        reason = problems.get((a.name, a.line)) or by_name.get(a.name)
        lines.append({"name": a.name, "value": a.text, "line": a.line,
                      "context": [list(c) for c in a.context],
                      "status": "problem" if reason else "ok", "reason": reason or ""})
    return {"ok": report.ok, "applied": report.applied, "verified": report.verified,
            "format": report.format, "lines": lines,
            "problems": [{"name": p.name, "value": p.value, "reason": p.reason}
                         for p in report.problems]}


def _set_entries(text: str) -> dict[str, str]:
    """``{"Name" or "Name (Sel=X, ...)": value text}`` of a feature-set text."""
    from ... import persist
    out: dict[str, str] = {}
    for a in persist.parse(text):
        key = a.name + (" (" + ", ".join(f"{k}={v}" for k, v in a.context) + ")"
                        if a.context else "")
        out[key] = a.text
    return out


def diff_sets(cam: Any, left: Path | None, right: Path | None) -> dict[str, Any]:
    """Side-by-side rows of two feature sets (either format); a side given as None is the
    camera's current settings."""
    from ... import persist
    from ...persist.files import decode
    sides = []
    for path in (left, right):
        try:
            if path is None:
                text, label = persist.dumps(cam), "camera now"
            else:
                text, label = decode(path.read_bytes(), str(path)), str(path)
            sides.append((label, persist.detect(text), _set_entries(text)))
        except NodeMapError as exc:
            return {"ok": False, "error": str(exc)}
        except OSError as exc:
            return {"ok": False, "error": f"cannot read {path}: {exc.strerror}"}
    (la, fa, a), (lb, fb, b) = sides
    rows = []
    for key in list(dict.fromkeys([*a, *b])):
        va, vb = a.get(key), b.get(key)
        status = ("same" if va == vb else "left only" if vb is None else
                  "right only" if va is None else "changed")
        rows.append({"name": key, "left": va, "right": vb, "status": status})
    return {"ok": True, "left": {"label": la, "format": fa}, "right": {"label": lb, "format": fb},
            "rows": rows, "changed": sum(r["status"] != "same" for r in rows)}


def _role(label: str) -> str:
    """What a feature's first reference is for: its value, its bounds, or its access."""
    element = label.split()[0] if label else ""
    if element in ("pIsLocked", "pIsAvailable", "pIsImplemented"):
        return "access"
    if element in ("pMin", "pMax", "pInc", "pValueDefault"):
        return "bounds"
    return "value"


REGISTER_TYPES = ("IntReg", "MaskedIntReg", "FloatReg", "StringReg", "Register", "StructEntry")


def registers(cam: Any, name: str, cache: dict[str, Any]) -> dict[str, Any]:
    """The registers a feature's value is read from (through its pValue / formulas / index):
    node, address, length, port, bits, and the bytes there now."""
    g = graph(cam, name, cache)
    if "error" in g:
        return g
    names = sorted(n for n, t in g["nodes"].items() if t in REGISTER_TYPES)
    role_of = {}
    depends: dict[str, list[str]] = {}
    for e in g["edges"]:
        if e["kind"] == "depends":
            depends.setdefault(e["source"], []).append(e["target"])
    for rank, role in enumerate(("value", "bounds", "access")):
        for e in g["edges"]:
            if e["kind"] != "depends" or e["source"] != name or _role(e["label"]) != role:
                continue
            stack = [e["target"]]
            while stack:            # everything read through this first step
                n = stack.pop()
                if n in role_of:
                    continue
                role_of[n] = role
                stack.extend(depends.get(n, ()))
    nm = cam.nodemap
    rows = []
    for reg in names:
        row: dict[str, Any] = {"node": reg, "type": g["nodes"][reg],
                               "role": role_of.get(reg, "value")}
        try:
            node = nm.node(reg)
            row["port"] = getattr(node, "port_name", "")
            address, length = node.span()
            row.update(address=f"0x{address:X}", length=length)
            for tag in ("LSB", "MSB", "Bit", "Endianess", "Sign", "AccessMode", "Cachable"):
                text = node.text(tag)
                if text is not None:
                    row[tag.lower()] = text
            node.check_readable()
            row["bytes"] = bytes(node.read_bytes()).hex(" ")
        except NodeMapError as exc:
            row["error"] = str(exc)
        rows.append(row)
    return {"name": name, "registers": rows}


def graph(cam: Any, name: str, cache: dict[str, Any]) -> dict[str, Any]:
    """The dependency neighbourhood of ``name`` from the authoring graph (XML only):
    what it reads, what invalidates it / it invalidates, what it selects."""
    from ...authoring.graph import build_graph
    doc = _document(cam, cache)
    try:
        g = build_graph(doc, name)
    except KeyError as exc:
        return {"error": str(exc.args[0])}
    return {"name": name, "nodes": dict(g.nodes),
            "edges": [{"source": e.source, "target": e.target, "kind": e.kind,
                       "label": e.label} for e in g.edges]}


def _document(cam: Any, cache: dict[str, Any]) -> Any:
    """The device's description parsed for the authoring tools (once, kept in ``cache``)."""
    from ...authoring.model import parse_document
    doc = cache.get("doc")
    if doc is None:
        doc = cache["doc"] = parse_document(cam.nodemap.to_xml())
    return doc
