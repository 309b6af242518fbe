"""Skip-or-fail for tests that need a real peer or the shared vendor XML files.

On a user's machine a missing peer skips the test with a clear reason; in CI
(``CI=true``) it fails, so a green CI proves the peers really ran.
"""

from __future__ import annotations

import importlib
import os
import shutil
from types import ModuleType
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("NODEMAP_SHARED", REPO.parent / "shared"))
VENDOR_XML_DIR = SHARED / "genicam-xml"


def missing(reason: str) -> None:
    """Skip (user machine) or fail (CI) because a peer is missing."""
    if IN_CI:
        pytest.fail(f"required in CI: {reason}", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def require_executable(name: str, hint: str) -> str:
    path = shutil.which(name)
    if path is None:
        missing(f"{name} not found on PATH ({hint})")
    return path  # type: ignore[return-value]


def vendor_xml_files() -> list[Path]:
    """Every shared vendor XML file, or [] when ../shared is absent."""
    if not VENDOR_XML_DIR.is_dir():
        return []
    return sorted(VENDOR_XML_DIR.glob("*.xml")) + sorted(VENDOR_XML_DIR.glob("*.zip"))


def require_vendor_xml() -> list[Path]:
    files = vendor_xml_files()
    if not files:
        missing(f"shared vendor XML folder {VENDOR_XML_DIR} is absent")
    return files


def require_module(name: str, hint: str) -> ModuleType:
    """Import *name* (a test extra or a peer wheel), or skip/fail with *hint*."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        missing(f"{name} is not importable ({hint}): {exc}")
        raise  # pragma: no cover - missing() always raises


def require_genicam():
    """The GenApi reference (``genicam`` wheel), or skip/fail."""
    try:
        import genicam.genapi as genapi  # noqa: F401
    except ImportError as exc:  # pragma: no cover - depends on the platform
        missing(f"the GenApi reference wheel 'genicam' is not importable: {exc}")
    return genapi
