"""Mistyped commands get a usage message and exit 2 (or the documented code), never a
traceback (issue: hardening, classes 17, 19, 20)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from nodemap.app.cli import EXIT_UNREACHABLE, main
from tests.addresses import loopback


def _run(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.mark.parametrize("args, needle", [
    (("sim", "sxh485", "--address", "abc"), "an SXH485 camera address is a number 1-254"),
    (("sim", "sxh485", "--address", "300"), "1-254"),
    (("sim", "fcb", "--tcp", "127.0.0.1:notaport"), "use HOST:PORT"),
    (("sim", "fcb", "--tcp", "127.0.0.1:70000"), "0-65535"),
    (("sim", "fcb", "--cameras", "9"), "1-7 cameras"),
    (("sim", "gige", "--port", "99999"), "0-65535"),
    (("sim", "gige", "--port", "-1"), "0-65535"),
    (("sim", "nonsense"), "No such command"),
    (("discover", "--transport", "carrier-pigeon"), "not an installed plugin"),
    (("decode", "--profile", "nope", "eb90"), "nope"),
])
def test_usage_errors_exit_2_with_a_message(args, needle):
    result = _run(*args)
    assert result.exit_code == 2, result.output
    assert needle in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)


@pytest.mark.parametrize("url, needle", [
    ("fcb:/dev/null?adress=1", "'adress' (did you mean address?)"),
    ("sxh485:/dev/null?adress=1&baudrat=9600", "'baudrat' (did you mean baudrate?)"),
    ("fcb:socket://127.0.0.1:9?loging=debug", "'loging' (did you mean logging?)"),
])
def test_url_parameter_typos_are_named_with_close_matches(url, needle):
    result = _run("get", url, "ZoomPosition")
    assert result.exit_code == 2, result.output
    assert needle in result.output
    assert "cannot open serial line" not in result.output


def test_url_parameter_typos_raise_a_parameter_error_from_python():
    import nodemap

    with pytest.raises(nodemap.ParameterError, match="did you mean address"):
        nodemap.open("fcb:/dev/null?adress=1")


def test_discover_names_a_serial_port_that_does_not_exist(tmp_path):
    missing = str(tmp_path / "ttyUSB9")
    result = _run("discover", "--serial", missing, "--timeout", "0.2")
    assert result.exit_code == EXIT_UNREACHABLE, result.output
    assert f"--serial {missing}: no such serial port" in result.output


def test_discover_exits_1_when_nothing_answers():
    # unicast to a loopback address where nothing listens: no broadcast leaves the host
    result = _run("discover", "--address", loopback(), "--timeout", "0.3", "--json")
    assert result.exit_code == 1, result.output
    assert json.loads(result.stdout) == []


@pytest.mark.parametrize("args, needle", [
    (("sim", "gige", "--stream-faults", "drop=lots"), "drop"),
    (("sim", "gige", "--mac", "00:11:22"), "six hex bytes"),
    (("sim", "gige", "--serial", "S" * 17), "at most 16 bytes"),
])
def test_gige_simulator_options_are_checked(args, needle):
    result = _run(*args, "--address", loopback())
    assert result.exit_code == 2, result.output
    assert needle in result.output


def test_gige_simulator_refuses_a_broken_xml_before_serving_it(tmp_path):
    broken = tmp_path / "broken.xml"
    broken.write_text("<RegisterDescription><Integer Name='X'>")
    result = _run("sim", "gige", "--xml", str(broken), "--address", loopback())
    assert result.exit_code == 2, result.output
    assert "not a usable GenApi description" in result.output and "nodemap lint" in result.output


def test_gige_simulator_identity_options_reach_the_bootstrap_registers():
    from nodemap.app.simulators import start_simulator
    import nodemap

    sim = start_simulator("gige", addresses=[loopback()], vendor="Basler", model="acA-sim",
                          serial="1234", mac="00:30:53:01:02:03", user_name="left")
    try:
        with nodemap.open(sim.urls[0]) as cam:
            def text(address: int, size: int) -> str:
                return cam.port.read(address, size).rstrip(b"\0").decode()

            assert text(0x0048, 32) == "Basler"
            assert text(0x0068, 32) == "acA-sim"
            assert text(0x00D8, 16) == "1234"
            assert text(0x00E8, 16) == "left"
            assert cam.port.read(0x0008, 8) == bytes.fromhex("0000 0030 5301 0203")
    finally:
        sim.close()


def test_gvcp_url_parameter_typos_and_unaligned_registers_are_usage_errors(cli, gige):
    host = gige.url.split("?")[0]
    typo = cli("get", f"{host}?timout=1", "Width")
    assert typo.exit_code == 2 and "'timout' (did you mean timeout?)" in typo.output
    unaligned = cli("reg", gige.url, "0x0002")
    assert unaligned.exit_code == 2, unaligned.output
    assert "4-byte aligned" in unaligned.output and "what to check" not in unaligned.output


@pytest.mark.parametrize("verb", [("get", "{url}", "Width"), ("file", "{url}", "list"),
                                  ("events", "{url}", "--count", "1")])
@pytest.mark.parametrize("url", ["gvcp://", "gvcp://127.0.0.1:notaport", "gvcp://[::1",
                                 "fcb://", "sxh485://", "fcb:/dev/null?adress=1"])
def test_a_malformed_url_is_named_once(verb, url):
    result = _run(*(part.format(url=url) for part in verb))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    named = result.output.replace("gvcp://ADDRESS", "")   # the usage hint, not the URL
    assert named.count(url) == 1, result.output
