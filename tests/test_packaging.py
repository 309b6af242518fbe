"""The explicit package list in pyproject.toml names every package folder of the tree
(setuptools installs nothing else: a forgotten sub-package works in a checkout and is
missing from a wheel)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_package_folder_is_listed_in_pyproject():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    found = {"nodemap.descriptions"}
    for prefix, folder in (("nodemap", ROOT / "nodemap"), ("nodemap.transports", ROOT / "transports")):
        for init in folder.rglob("__init__.py"):
            parts = init.parent.relative_to(folder).parts
            found.add(".".join((prefix, *parts)))
    assert listed == found, f"missing: {sorted(found - listed)}; stale: {sorted(listed - found)}"


def test_every_transport_plugin_has_an_entry_point():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    points = config["project"]["entry-points"]["nodemap.transports"]
    plugins = {p.parent.name for p in (ROOT / "transports").glob("*/plugin.py")}
    assert plugins <= set(points), sorted(plugins - set(points))
