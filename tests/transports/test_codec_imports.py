"""The sans-IO codecs and sessions import nothing of the GenApi engine.

Read with ``ast`` (not imported), so the check sees every import statement, also those
inside functions.  The shells (clients, buses, ports, links, simulators) are free to
import ``nodemap.errors``; these modules raise their own :class:`CodecError` subclasses.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from nodemap.transports.codec import CodecError
from nodemap.transports.fcb.protocol import ViscaCodecError
from nodemap.transports.gvcp.protocol import GvcpCodecError
from nodemap.transports.sxh485.protocol import Sxh485CodecError
from nodemap.transports.vaddr import VaddrError
from nodemap.transports.vs1.protocol import Vs1CodecError

TRANSPORTS = Path(__file__).resolve().parents[2] / "transports"
PURE = ["codec.py", "vaddr.py", "faults.py", "gvcp/protocol.py", "gvcp/session.py",
        "fcb/protocol.py", "fcb/session.py", "fcb/address.py", "sxh485/protocol.py",
        "vs1/protocol.py"]
FORBIDDEN = ("nodemap", "socket", "threading", "time", "select", "serial", "asyncio")


def imported_modules(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:                          # relative: inside the transports
                depth = len(path.relative_to(TRANSPORTS).parts) - 1
                if node.level > depth + 1:
                    found.append((node.lineno, "nodemap (relative import above transports/)"))
                continue
            found.append((node.lineno, node.module or ""))
    return found


@pytest.mark.parametrize("name", PURE)
def test_pure_modules_import_no_engine_and_no_io(name: str) -> None:
    path = TRANSPORTS / name
    assert path.is_file(), name
    bad = [(line, module) for line, module in imported_modules(path)
           if module.split(".")[0] in FORBIDDEN or module.startswith("nodemap")]
    assert not bad, f"{name} imports {bad}"


def test_each_codec_has_its_own_error() -> None:
    errors = [GvcpCodecError, ViscaCodecError, Sxh485CodecError, Vs1CodecError, VaddrError]
    assert len(set(errors)) == len(errors)
    for error in errors:
        assert issubclass(error, CodecError) and issubclass(error, ValueError)
        assert not any(c.__module__ == "nodemap.errors" for c in error.__mro__)
