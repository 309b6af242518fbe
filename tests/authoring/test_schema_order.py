"""Our schema element-order table agrees with the GenApi reference.

Every node type, in every choice variant, loads in the reference when emitted in table
order, and every adjacent swap is refused as an ordering error.  The probe runs in a
subprocess because the reference can crash the interpreter on some inputs.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.peers import require_genicam

PROBE = Path(__file__).with_name("schema_probe.py")


def test_table_order_is_what_the_reference_requires() -> None:
    require_genicam()
    done = subprocess.run([sys.executable, str(PROBE)], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert report["errors"] == []
    assert report["swaps_not_refused"] == []
    types = {entry[0] for entry in report["accepted"]}
    assert {"Integer", "Float", "MaskedIntReg", "StructEntry", "Converter", "Port"} <= types
