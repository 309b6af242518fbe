"""The linter over real files: every shared vendor XML, and every XML the project ships."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from nodemap.authoring.lint import lint
from nodemap.authoring.model import parse_document
from nodemap.authoring.rules_structure import schema
from tests.peers import REPO, require_vendor_xml

SHIPPED = sorted((REPO / "xml").glob("*.xml"))


@pytest.mark.vendor_xml
@pytest.mark.timeout(600)
def test_lint_every_shared_vendor_file() -> None:
    """Runs every rule on every vendor file; prints the findings per file and rule."""
    files = require_vendor_xml()
    totals: Counter[str] = Counter()
    for path in files:
        findings = lint(path)
        counts = Counter(f"{f.rule}/{f.severity}" for f in findings)
        totals.update(counts)
        print(f"{path.name}: {dict(sorted(counts.items()))}")
        # the vendor files all load in the reference: none is malformed for our parser
        assert "xml-malformed/error" not in counts, path.name
    print(f"TOTAL: {dict(sorted(totals.items()))}")
    # facts about these files that the rules must keep seeing
    assert totals["schema-order/error"] > 0          # aravis_genicam.xml: the reference refuses it
    assert totals["formula-int-mode/error"] > 0      # float literals in IntSwissKnife formulas
    assert totals["selector-stale/warning"] > 0


@pytest.mark.vendor_xml
def test_the_file_the_reference_refuses_is_the_one_with_schema_errors() -> None:
    from tests.peers import require_genicam

    genapi = require_genicam()
    for path in require_vendor_xml():
        if path.suffix != ".xml":
            continue
        schema_errors = list(schema(parse_document(path)))
        schema_errors = [f for f in schema_errors if f.severity == "error"]
        data = path.read_bytes()
        data = data[data.find(b"<?xml"):] if data.find(b"<?xml") > 0 else data
        try:
            genapi.NodeMap().load_xml_from_string(data.decode("utf-8", "replace"))
            refused = False
        except genapi.GenericException:  # the reference's own (a RuntimeException)
            refused = True
        assert refused == bool(schema_errors), (path.name, [str(f) for f in schema_errors[:3]])


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_shipped_descriptions_have_no_errors(path: Path) -> None:
    errors = [str(f) for f in lint(path) if f.severity == "error"]
    assert not errors, f"{path.name}: fix with `nodemap lint --fix {path}`:\n" + "\n".join(errors)


def test_the_project_ships_descriptions() -> None:
    assert {p.name for p in SHIPPED} >= {"gige-bootstrap.xml", "sony-fcb.xml", "sxh485.xml"}
