"""The shared test data the suite expects in ``../shared`` (vendor XML, seed captures).

Parameter lists are built from this manifest, not from whatever the folder holds, so a
file that goes missing fails (in CI) or skips with its name (elsewhere) instead of
silently shrinking a parametrisation; ``test_manifest.py`` checks the folder against
it (present, same size and digest, nothing unlisted).  When the shared data changes on
purpose, update the rows here (``sha256sum FILE | cut -c1-16``).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from tests.peers import IN_CI, SHARED, missing

__all__ = ["SHARED_FILES", "vendor_xml_paths", "require_shared_file", "digest"]

#: path under ../shared -> (size in bytes, first 16 hex digits of its SHA-256)
SHARED_FILES: dict[str, tuple[int, str]] = {
    "genicam-xml/AVT_GC1350C.xml": (244948, "219520ffbd08ee43"),
    "genicam-xml/AVT_GT1930.xml": (248346, "3b6a5774e506aab5"),
    "genicam-xml/AVT_Mako_G030B.xml": (225330, "06008cd95a780194"),
    "genicam-xml/AVT_Manta_G235B.xml": (223717, "121c8b20f07262b6"),
    "genicam-xml/AVT_Manta_G895B.xml": (231543, "ae9f61f2793734b8"),
    "genicam-xml/AVT_Prosilica_GT5120.xml": (253242, "00bf9eecea952749"),
    "genicam-xml/Adimec_Q12A180CXP_1_1_5.xml": (244972, "eea810941eae586e"),
    "genicam-xml/Basler-acA1300-30gm.xml": (1108556, "86fa55a25d4c7380"),
    "genicam-xml/Basler-acA1920-25gm.xml": (1016751, "55d551424238fa97"),
    "genicam-xml/Basler-acA640-300gm.xml": (1288877, "96965222558c2c75"),
    "genicam-xml/Basler-scA1300-32gm.xml": (890648, "c2d31ff6dc9669c4"),
    "genicam-xml/Basler_piA640_210gm.xml": (483863, "822ae259fa6e7473"),
    "genicam-xml/Euresys_Coaxlink_TLInterface.xml": (912219, "7749aeeef04b2900"),
    "genicam-xml/Euresys_Coaxlink_TLSystem.xml": (7962, "d627e17b6acb47ba"),
    "genicam-xml/FLIR-BFS-PGE-23S6C.xml": (976106, "60a515653bd4f7db"),
    "genicam-xml/FLIR-BFS-U3-161S7M.xml": (876104, "650bdc3e13e6a8e7"),
    "genicam-xml/FLIR_BFS_31S4M.xml": (906596, "7add40370bddeb62"),
    "genicam-xml/FLIR_FL3_U3_13S2C.xml": (292843, "e4d6b9afbf73b12f"),
    "genicam-xml/FLIR_ORX_10G_245S8M.xml": (1069664, "e6787d5f1d5491b3"),
    "genicam-xml/Orca_Fire_C16240-20UP.xml": (10321, "403ceb4640acfc5b"),
    "genicam-xml/PGR_BlackflyS_16S2C.xml": (1028724, "fe3652b28f49658f"),
    "genicam-xml/PGR_Blackfly_20E4C.xml": (317859, "ca6e9a80cd71afd7"),
    "genicam-xml/PGR_Flea3_GE_28S4C.xml": (181744, "c6c0f5fe3d57eb88"),
    "genicam-xml/PGR_GS3_U3_51S5M.xml": (315380, "65d99b4c1aacf60e"),
    "genicam-xml/Tucsen_CXP_Dhyana6060BSI.xml": (114459, "173b5874418e6115"),
    "genicam-xml/ViewWorks_VNP604.xml": (231004, "f8918ebd0cd9c122"),
    "genicam-xml/aravis_arv-fake-camera.xml": (16019, "45ba03a44ce863c3"),
    "genicam-xml/aravis_genicam.xml": (17044, "5be92ed0cad88d5d"),
    "genicam-xml/harvesters_issue_66_altered_plain.xml": (24985, "033bd7c1b2ea6115"),
    "seeds/000_dd1a60bf9b36eabf.txt": (4581, "95d864d43c9ff998"),
    "seeds/001_0910fe878a0d8014.txt": (8237, "40587fed1a64cc7b"),
    "seeds/002_e025763f0ced500f.txt": (2419, "4918bd341a753cf7"),
    "seeds/003_1bfd0665317e8284.txt": (6024, "4221abe5d5f35761"),
    "seeds/004_533115ad403a9a25.txt": (2926, "52e4e147aabf18bb"),
}


def vendor_xml_paths() -> list[Path]:
    """Every expected vendor XML (``.xml`` then ``.zip``, by name), present or not."""
    names = [n for n in SHARED_FILES if n.startswith("genicam-xml/")]
    return sorted((SHARED / n for n in names), key=lambda p: (p.suffix != ".xml", p.name))


def size_of(path: Path) -> int:
    """The manifest's size of a shared file (known without the file)."""
    return SHARED_FILES[path.relative_to(SHARED).as_posix()][0]


def require_shared_file(path: Path) -> Path:
    """``path``, or skip (outside CI) / fail (in CI) naming the missing file."""
    if not path.is_file():
        where = "../shared is absent" if not SHARED.is_dir() else "it is missing"
        missing(f"shared test file {path} is needed ({where}; CI={IN_CI})")
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]
