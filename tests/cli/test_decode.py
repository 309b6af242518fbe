"""`nodemap decode` against the seed capture 000_*.txt, and the decoder's robustness."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nodemap.app.decode import Decoder, hex_bytes
from tests.peers import SHARED, missing

from .conftest import as_json


def _seed() -> Path:
    found = sorted((SHARED / "seeds").glob("000_*.txt"))
    if not found:
        missing(f"seed capture 000_*.txt absent from {SHARED / 'seeds'}")
    return found[0]


def _norm(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", text.lower())


def _annotated(text: str) -> list[tuple[str, list[str]]]:
    """(comment, [hex lines]) for every `# ...` comment followed by hex lines."""
    out: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            out.append((stripped, []))
        elif out and stripped and re.fullmatch(r"[0-9a-fA-F ]+", stripped) and \
                len(stripped.replace(" ", "")) % 2 == 0:
            out[-1][1].append(stripped)
    return [(c, h) for c, h in out if h]


def test_issue_example(cli):
    result = cli("decode", "420100820008002600000d04000005dc")
    assert result.exit_code == 0
    assert "WRITEREG_CMD" in result.output and "req 0x0026" in result.output
    assert "SCPS0 (Stream Channel #0 Packet Size) (0x00000d04) ← 0x000005dc (1500)" in result.output


def test_every_annotated_line_of_the_seed(cli):
    groups = _annotated(_seed().read_text(encoding="utf-8"))
    assert len(groups) >= 30
    checked = 0
    for comment, lines in groups:
        result = cli("decode", *lines)
        assert result.exit_code == 0, (comment, result.output)
        out = result.output
        first = out.split("\n", 2)
        command = re.search(r"Command: (\w+) \((0x[0-9a-f]+)\)", comment)
        if command:
            assert command.group(1) in out and command.group(2) in out, (comment, out)
        register = re.search(r"\[([^\]]+)\] \((0x[0-9a-f]{8})\)", comment)
        custom = re.search(r"Custom Register Address: (0x[0-9a-f]{8})", comment)
        has_command = any(line.replace(" ", "")[:2] == "42" for line in lines)
        if register and not has_command:
            # acks alone: the capture lost their command, so only values can be checked
            for line in lines:
                raw = bytes.fromhex(line.replace(" ", ""))
                value = int.from_bytes(raw[8:12], "big")
                assert f"0x{value:08x} ({value})" in out, (comment, out)
        elif register:
            label, address = register.groups()
            assert _norm(label) in _norm(out), (comment, out)
            assert address in out, (comment, out)
        if custom:
            assert custom.group(1) in out, (comment, out)
        # the value written, in hex and decimal, for every WRITEREG command line
        for line in lines:
            raw = bytes.fromhex(line.replace(" ", ""))
            if raw[:1] == b"\x42" and raw[2:4] == b"\x00\x82":
                value = int.from_bytes(raw[12:16], "big")
                assert f"← 0x{value:08x}" in out, (comment, out)
            if raw[:1] != b"\x42":
                assert "_ACK" in out, (comment, out)
        trailing = re.search(r"\) (R|W|\d+)$", comment)
        if trailing and trailing.group(1).isdigit():
            assert f"({trailing.group(1)})" in out
        checked += 1
        del first
    assert checked == len(groups)


def test_acks_matched_to_their_commands(cli):
    text = _seed().read_text(encoding="utf-8")
    packets = as_json(cli("decode", "--file", str(_seed()), "--json"))
    acks = [p for p in packets if p["type"].endswith("_ACK")]
    assert len(acks) >= 12 and not any(p["error"] for p in packets)
    denied = [p for p in acks if p["status"] == 0x8006]
    assert len(denied) == 4
    # the READREG_ACK of SCSP2 names the register it answers
    scsp2 = [p for p in acks if p["req_id"] == 0x53]
    assert scsp2[0]["registers"][0]["name"] == "SCSP2"
    assert scsp2[0]["registers"][0]["value"] == 0x1209
    assert "netsh" in text  # the whole file (prose included) was accepted


def test_vendor_registers_from_xml(cli):
    xml = Path(__file__).resolve().parents[2] / "xml" / "demo-camera.xml"
    result = cli("decode", "--xml", str(xml), "42 01 00 82 00 08 00 05 00 00 a0 00 00 00 02 80")
    assert "WidthReg (Width Reg) → Width (0x0000a000) ← 0x00000280 (640)" in result.output


def test_stdin_and_visca_and_sxh485(cli):
    from nodemap.transports.fcb import protocol as v
    from nodemap.transports.sxh485 import protocol as s

    zoom = v.encode_command(1, 0x04, 0x47, v.to_nibbles(0x1234, 4)).hex(" ")
    ack = v.encode_ack(1, 1).hex(" ")
    frame = s.encode(s.Frame(1, 0x03, b"\x02")).hex()
    result = cli("decode", input=f"{zoom}\n{ack}\n{frame}\n")
    assert result.exit_code == 0, result.output
    assert "ZoomPosition ← 0x1234 (4660)" in result.output
    assert "ACK camera 1 socket 1" in result.output
    assert "SXH485 request" in result.output and "Resolution" in result.output


def test_bad_input_exit_code(cli):
    assert cli("decode", "zz").exit_code == 2


@settings(max_examples=150, deadline=None)
@given(st.binary(min_size=1, max_size=200))
def test_decoder_never_crashes(data):
    decoded = Decoder().decode_bytes(data)
    assert sum(len(d.raw) for d in decoded) >= 1
    for d in decoded:
        assert d.summary


@settings(max_examples=100, deadline=None)
@given(st.lists(st.binary(min_size=1, max_size=24), min_size=1, max_size=5),
       st.sampled_from([" ", "\n", ":", "  \n "]))
def test_hex_text_any_spacing(chunks, separator):
    data = b"".join(chunks)
    text = separator.join(data.hex()[i:i + 2] for i in range(0, len(data) * 2, 2))
    parsed, _ = hex_bytes(text)
    assert parsed == data


def test_gvsp_datagrams_are_decoded_by_the_gvsp_codec():
    from nodemap.transports.gvcp import gvsp

    leader = gvsp.encode_image_leader(5, timestamp=123, pixel_format=0x01080001, width=640,
                                      height=480)
    payload = gvsp.encode_payload(5, 1, bytes(range(16)))
    trailer = gvsp.encode_trailer(5, 2, size_y=480)
    decoder = Decoder()
    for raw, needle in ((leader, "leader block 5"), (payload, "block 5 packet 1"),
                        (trailer, "trailer block 5")):
        [packet] = decoder.decode_bytes(raw)
        assert packet.protocol == "gvsp" and packet.error is None, packet
        assert needle in packet.summary
    [leader_packet] = decoder.decode_bytes(leader)
    assert "Mono8 640x480" in leader_packet.summary
    # a GVCP ack is still a GVCP ack
    [ack] = Decoder().decode_text("0000 0083 0004 0026 0000 0001")
    assert ack.protocol == "gvcp" and "WRITEREG_ACK" in ack.summary
