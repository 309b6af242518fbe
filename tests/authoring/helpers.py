"""Small XML fixtures for the authoring tests: wrap node snippets in a description."""

from __future__ import annotations

HEADER = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<RegisterDescription ModelName="T" VendorName="nodemap" ToolTip="t" '
    'StandardNameSpace="None" SchemaMajorVersion="1" SchemaMinorVersion="1" '
    'SchemaSubMinorVersion="0" MajorVersion="1" MinorVersion="0" SubMinorVersion="0" '
    'ProductGuid="11111111-2222-3333-4444-555555555555" '
    'VersionGuid="11111111-2222-3333-4444-555555555556" '
    'xmlns="http://www.genicam.org/GenApi/Version_1_1">\n'
)


def description(body: str, features: tuple[str, ...] = ("X",)) -> str:
    """A description with a Root category listing ``features``, ``body`` and a Device port."""
    pfeatures = "".join(f"<pFeature>{f}</pFeature>" for f in features)
    return (HEADER + f'<Category Name="Root">{pfeatures}</Category>\n' + body
            + '\n<Port Name="Device"/>\n</RegisterDescription>\n')


def rules_of(findings) -> set[str]:
    return {f.rule for f in findings}
