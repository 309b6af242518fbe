"""Saving is atomic: a failed write (disk full, a file-size limit, an exception midway)
leaves the previous file byte for byte, and no temporary file behind."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from nodemap import persist
from nodemap.persist import files

from .kit import build, integer

BODY = "".join(integer(f"Feature{i}", 0x100 + 4 * i) for i in range(60))
GOOD = b"# nodemap feature set 1\nFeature0 = 1\n"


def _leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


@pytest.fixture
def good(tmp_path: Path) -> Path:
    path = tmp_path / "camera.nmfs"
    path.write_bytes(GOOD)
    return path


def test_a_disk_full_midway_keeps_the_old_file(good, monkeypatch):
    nm, _ = build(BODY)
    real_write = os.write
    calls = []

    def half_then_full(fd, data):
        calls.append(len(data))
        if len(calls) == 1:
            return real_write(fd, bytes(data[: len(data) // 2]))
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files.os, "write", half_then_full)
    with pytest.raises(OSError, match="No space left.*previous file there is unchanged") as info:
        persist.save(nm, good)
    assert info.value.errno == errno.ENOSPC and str(good) in str(info.value)
    assert len(calls) == 2                      # it really was midway
    assert good.read_bytes() == GOOD and _leftovers(good.parent) == []


@pytest.mark.parametrize("where", ["fsync", "replace"])
def test_an_exception_before_the_replace_keeps_the_old_file(good, monkeypatch, where):
    nm, _ = build(BODY)

    def boom(*args, **kwargs):
        raise RuntimeError(f"interrupted in {where}")

    monkeypatch.setattr(files.os, where, boom)
    with pytest.raises(RuntimeError, match=f"interrupted in {where}"):
        persist.save(nm, good)
    assert good.read_bytes() == GOOD and _leftovers(good.parent) == []


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
def test_a_file_size_limit_keeps_the_old_file(good):
    script = textwrap.dedent(f"""
        import resource, signal, sys
        sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r})
        from nodemap import persist
        from tests.persist.kit import build
        from tests.persist.test_files import BODY
        nm, _ = build(BODY)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (300, 300))
        try:
            persist.save(nm, sys.argv[1])
        except OSError as exc:
            print("refused", exc.errno)
        else:
            print("written")
    """)
    done = subprocess.run([sys.executable, "-c", script, str(good)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["refused", str(errno.EFBIG)]
    assert good.read_bytes() == GOOD and _leftovers(good.parent) == []
    nm, _ = build(BODY)
    assert len(persist.dumps(nm).encode()) > 300  # the limit really was in the way


def test_a_successful_save_replaces_keeps_mode_and_follows_links(good, tmp_path):
    nm, _ = build(BODY)
    os.chmod(good, 0o640)
    link = tmp_path / "link.nmfs"
    link.symlink_to(good)
    count = persist.save(nm, link)
    assert link.is_symlink() and good.read_text().startswith("# nodemap feature set 1")
    assert count == 60 and good.read_text().count(" = ") == 60
    assert stat.S_IMODE(good.stat().st_mode) == 0o640
    assert _leftovers(tmp_path) == []
    fresh = tmp_path / "new.nmfs"
    persist.save(nm, fresh)
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~umask


def test_format_follows_the_suffix_unless_given(tmp_path):
    nm, _ = build(BODY)
    persist.save(nm, tmp_path / "a.pfs")
    persist.save(nm, tmp_path / "b.txt", format="pfs")
    persist.save(nm, tmp_path / "c.pfs", format="nmfs")
    assert (tmp_path / "a.pfs").read_text().startswith("# {05D8C294-F295-4dfb-9D01-")
    assert (tmp_path / "b.txt").read_text().startswith("# {05D8C294-F295-4dfb-9D01-")
    assert (tmp_path / "c.pfs").read_text().startswith("# nodemap feature set 1")
    with pytest.raises(persist.FeatureSetError, match="unknown feature-set format 'xml'"):
        persist.save(nm, tmp_path / "d", format="xml")
    for name in ("a.pfs", "b.txt", "c.pfs"):
        fresh, _ = build(BODY)
        report = persist.load(fresh, tmp_path / name)
        assert report.ok and report.verified == 60
