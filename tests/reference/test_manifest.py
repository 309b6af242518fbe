"""The shared test data is all there, unchanged, and nothing in it goes unlisted.

Outside CI a missing ../shared skips with the reason; in CI (``CI=true``) it fails, as
does any missing, changed or unlisted file anywhere (a parametrisation built from the
manifest would otherwise test less than it claims, or miss a new file).
"""

from __future__ import annotations

import pytest

from tests.peers import SHARED, missing

from .manifest import SHARED_FILES, digest, vendor_xml_paths
from .test_vendor_files import FILES


def test_shared_folder_matches_the_manifest() -> None:
    if not SHARED.is_dir():
        missing(f"the shared test data folder {SHARED} is absent (set NODEMAP_SHARED or "
                f"place ../shared beside the repository)")
    problems = []
    for name, (size, sha) in sorted(SHARED_FILES.items()):
        path = SHARED / name
        if not path.is_file():
            problems.append(f"missing: {name}")
        elif path.stat().st_size != size or digest(path) != sha:
            problems.append(f"changed: {name} is {path.stat().st_size} bytes, sha256 "
                            f"{digest(path)}…; the manifest says {size} bytes, {sha}…")
    for folder in sorted({name.partition("/")[0] for name in SHARED_FILES}):
        for path in sorted((SHARED / folder).iterdir()):
            name = f"{folder}/{path.name}"
            if path.is_file() and name not in SHARED_FILES:
                problems.append(f"unlisted: {name} (add it to tests/reference/manifest.py)")
    assert not problems, "shared test data differs from tests/reference/manifest.py:\n" + \
        "\n".join(problems)


def test_vendor_parametrisation_comes_from_the_manifest() -> None:
    expected = sorted(n for n in SHARED_FILES if n.startswith("genicam-xml/"))
    assert sorted(p.relative_to(SHARED).as_posix() for p in FILES) == expected
    assert FILES == vendor_xml_paths() and len(FILES) >= 29


def test_a_missing_shared_file_is_named(tmp_path, monkeypatch) -> None:
    """require_shared_file skips/fails naming the file, never passes silently."""
    from . import manifest

    absent = tmp_path / "absent.xml"
    monkeypatch.setattr(manifest, "IN_CI", False)
    monkeypatch.setattr("tests.peers.IN_CI", False)
    with pytest.raises(pytest.skip.Exception, match="absent.xml"):
        manifest.require_shared_file(absent)
    monkeypatch.setattr("tests.peers.IN_CI", True)
    with pytest.raises(pytest.fail.Exception, match="required in CI: .*absent.xml"):
        manifest.require_shared_file(absent)
