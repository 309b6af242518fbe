"""No test may skip silently in CI: peers, the reference wheel, test extras and the shared
XML go through ``tests/peers.py`` (skip outside CI, fail with ``CI=true``); the remaining
skips are platform skips and each gives its reason."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests import peers

TESTS = Path(__file__).resolve().parents[1]


def _calls() -> list[tuple[Path, ast.Call]]:
    found = []
    for path in sorted(TESTS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Call):
                found.append((path, node))
    return found


def _name(call: ast.Call) -> str:
    func = call.func
    parts = []
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if isinstance(func, ast.Name):
        parts.append(func.id)
    return ".".join(reversed(parts))


def test_no_importorskip_anywhere() -> None:
    offenders = [f"{p.relative_to(TESTS)}:{c.lineno}" for p, c in _calls()
                 if _name(c).endswith("importorskip")]
    assert not offenders, ("importorskip skips silently in CI; use tests.peers.require_module "
                           f"or require_genicam: {offenders}")


def test_every_skip_gives_a_reason() -> None:
    offenders = []
    for path, call in _calls():
        name = _name(call)
        if name == "pytest.skip" and not (call.args or any(k.arg == "reason" for k in call.keywords)):
            offenders.append(f"{path.relative_to(TESTS)}:{call.lineno}")
        if name == "pytest.mark.skipif" and not any(k.arg == "reason" for k in call.keywords):
            offenders.append(f"{path.relative_to(TESTS)}:{call.lineno}")
    assert not offenders, f"skips without a reason: {offenders}"


def test_require_module_skips_outside_ci_and_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    absent = "nodemap_no_such_module_for_the_skip_test"
    monkeypatch.setattr(peers, "IN_CI", False)
    with pytest.raises(pytest.skip.Exception, match=absent):
        peers.require_module(absent, "a hint")
    monkeypatch.setattr(peers, "IN_CI", True)
    with pytest.raises(pytest.fail.Exception, match=f"required in CI: {absent}.*a hint"):
        peers.require_module(absent, "a hint")
    assert peers.require_module("json", "stdlib").dumps([1]) == "[1]"
