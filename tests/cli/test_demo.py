"""`nodemap demo` as a newcomer runs it: a subprocess that exits 0 and says what it did."""

from __future__ import annotations

import subprocess

from .conftest import nodemap_cmd, subprocess_env


def test_demo_runs_and_cleans_up(tmp_path):
    done = subprocess.run(nodemap_cmd() + ["demo", "--keep", str(tmp_path)], capture_output=True,
                          text=True, timeout=110, env=subprocess_env(), stdin=subprocess.DEVNULL)
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    for line in ("started a simulated GigE Vision camera", "started a simulated Sony FCB",
                 "started a simulated SXH485", 'cam.features["Width"].value',
                 'cam.features["TriggerSoftware"].execute()', "persist.save(cam",
                 "persist.load(cam", 'cam.snapshot("snapshot.jpg")',
                 'cam.files.read("UserData") == data   → True', "Every simulator was stopped"):
        assert line in out, line
    assert (tmp_path / "snapshot.jpg").read_bytes()[:2] == b"\xff\xd8"
    assert (tmp_path / "gige.nmfs").read_text().startswith("# nodemap feature set 1")
