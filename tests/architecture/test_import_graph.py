"""The seam between the engine, the transports and the application layer, checked on the
source's import statements (see docs/architecture.md, "Layers").

engine       nodemap.* except nodemap.app, nodemap.authoring, nodemap.transports and the
             package's public facade (nodemap/__init__.py, nodemap/__main__.py)
transports   nodemap.transports.*  — may import the engine, never the application layer
authoring    nodemap.authoring.*   — may import the engine, never a transport
application  nodemap.app.*         — above both; reaches a transport only through its plugin
             (entry point, link objects), never by importing one
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from tests.architecture.imports import ROOT, cycles, graph, imports_of, module_files

EDGES = graph()
FACADE = {"nodemap", "nodemap.__main__"}


def _layer(module: str) -> str:
    if module in FACADE:
        return "facade"
    for prefix, layer in (("nodemap.transports", "transports"), ("nodemap.app", "app"),
                          ("nodemap.authoring", "authoring")):
        if module == prefix or module.startswith(prefix + "."):
            return layer
    return "engine"


LAYERS = {m: _layer(m) for m in EDGES}
FORBIDDEN = {
    "engine": {"transports", "app", "authoring"},
    "transports": {"app", "authoring"},
    "authoring": {"transports", "app"},
    "app": {"transports"},
    "facade": {"transports"},
}


def test_the_tree_has_every_layer():
    counts = {layer: sum(1 for v in LAYERS.values() if v == layer) for layer in FORBIDDEN}
    assert counts["engine"] >= 10 and counts["transports"] >= 20 and counts["app"] >= 5, counts


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_no_import_crosses_the_seam_the_wrong_way(layer):
    wrong = [f"{m} imports {target} ({LAYERS[target]})"
             for m, targets in sorted(EDGES.items()) if LAYERS[m] == layer
             for target in sorted(targets) if LAYERS[target] in FORBIDDEN[layer]]
    assert not wrong, "\n".join(wrong)


def test_nothing_imports_the_bare_top_level_name_transports():
    wrong = [f"{m} imports {i}" for m, path in module_files().items()
             for i in sorted(imports_of(m, path)) if i == "transports" or i.startswith("transports.")]
    assert not wrong, "\n".join(wrong)


def test_no_import_cycles_in_the_engine_or_the_authoring_rules():
    for layer in ("engine", "authoring"):
        members = {m for m, v in LAYERS.items() if v == layer}
        found = cycles(EDGES, members)
        assert not found, f"{layer} import cycles: {found}"


def test_the_engine_imports_and_works_without_transports_or_the_app_layer():
    """A fresh interpreter where nodemap.transports and nodemap.app cannot be imported at
    all still loads every engine module and drives a node map over a MemoryPort."""
    engine = sorted(m for m, v in LAYERS.items() if v == "engine")
    script = textwrap.dedent(f"""
        import importlib, sys
        from importlib.abc import MetaPathFinder

        class Block(MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[:2] in (["nodemap", "transports"], ["nodemap", "app"]) \\
                        or name.split(".")[0] == "transports":
                    raise ImportError("blocked by the seam test: " + name)
                return None

        sys.meta_path.insert(0, Block())
        for name in {engine!r}:
            importlib.import_module(name)
        import nodemap
        xml = b'''<RegisterDescription xmlns="http://www.genicam.org/GenApi/Version_1_1"
            ModelName="T" VendorName="T" StandardNameSpace="None" SchemaMajorVersion="1"
            SchemaMinorVersion="1" SchemaSubMinorVersion="0" MajorVersion="1"
            MinorVersion="0" SubMinorVersion="0" ToolTip="" ProductGuid="0"
            VersionGuid="0"><Integer Name="Width"><pValue>WidthReg</pValue></Integer>
            <IntReg Name="WidthReg"><Address>0x10</Address><Length>4</Length>
            <AccessMode>RW</AccessMode><pPort>Device</pPort><Endianess>BigEndian</Endianess>
            </IntReg><Port Name="Device"/></RegisterDescription>'''
        nm = nodemap.NodeMap.from_xml(xml)
        nm.connect(nodemap.MemoryPort(0x100), name="Device")
        nm.features["Width"].value = 640
        assert nm.features["Width"].value == 640
        assert not any(m.startswith(("nodemap.transports", "nodemap.app", "transports"))
                       for m in sys.modules), sorted(sys.modules)
        print("engine ok", len({engine!r}))
    """)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            cwd=str(ROOT), env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("engine ok")


def test_import_nodemap_loads_no_transport_no_app_layer_and_no_heavy_library():
    script = ("import sys, nodemap; heavy = [m for m in ('sympy', 'numpy', 'PIL', 'serial', "
              "'nodemap.transports', 'nodemap.app', 'transports') if m in sys.modules]; "
              "print(heavy)")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            cwd=str(ROOT), timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
