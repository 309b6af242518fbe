"""Adversarial command lines: fuzzed argv for the device and file verbs, run in-process.

Every case must end with an exit status 0–6 and, when it fails, a message — never a
Python traceback (an exception other than SystemExit escaping the click group).
"""

from __future__ import annotations

import contextlib
import tempfile
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nodemap.app.cli import main

DEMO_XML = Path(__file__).resolve().parents[2] / "xml" / "gige-bootstrap.xml"

DEVICE_VERBS = ["get", "set", "execute", "describe", "features", "values", "reg", "xml", "save",
                "load"]
FEATURES = ["Width", "DeviceVendorName", "GevCCP", "NoSuchFeature", "", "Width=", "=1",
            "GevHeartbeatTimeout=abc", "GevHeartbeatTimeout=99999999999999999999", "\x00",
            "0x0D04", "0x0002", "0xZZ", "-1", "0x1FFFFFFFF", "Width=1e308", "é", "--", "-x"]
URLS = [f"mem:{DEMO_XML}", f"mem:{DEMO_XML}?sise=1", "mem:", "mem:/no/such.xml", "nosuch://x", "", "gvcp://",
        "gvcp://127.0.0.1:notaport", "fcb:/dev/nonexistent-h2?adress=1", "::::", "mem:\x00"]


def run(argv: list[str]) -> tuple[int, str]:
    # verbs such as save write into the working directory: a fresh one per case
    with tempfile.TemporaryDirectory() as scratch, contextlib.chdir(scratch):
        result = CliRunner().invoke(main, argv, catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"nodemap {argv!r} raised {result.exception!r}:\n{result.output}") \
            from result.exception
    assert 0 <= result.exit_code <= 6, (argv, result.exit_code, result.output)
    assert "Traceback" not in result.output, (argv, result.output)
    if result.exit_code:
        assert result.output.strip(), f"nodemap {argv!r} failed silently"
    return result.exit_code, result.output


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(verb=st.sampled_from(DEVICE_VERBS), url=st.sampled_from(URLS),
       rest=st.lists(st.one_of(st.sampled_from(FEATURES), st.text(max_size=12)), max_size=3))
def test_fuzzed_device_verbs_end_with_a_status_and_a_message(verb: str, url: str,
                                                             rest: list[str]) -> None:
    run([verb, url, *rest])


@pytest.mark.parametrize("url", [f"mem:{DEMO_XML}?size=abc", f"mem:{DEMO_XML}?base=zz"])
def test_a_malformed_mem_url_is_a_message(url: str) -> None:
    run(["xml", url])


@pytest.mark.parametrize("content", [
    b"", b"\x00" * 64, b"<RegisterDescription><Integer Name='A'", b"\xff\xfe<\x00a\x00",
    b"PK\x03\x04" + b"\x00" * 40])
@pytest.mark.parametrize("verb", ["graph", "lint"])
def test_file_verbs_on_corrupt_files_exit_1_with_a_message(tmp_path: Path, content: bytes,
                                                           verb: str) -> None:
    target = tmp_path / "broken.xml"
    target.write_bytes(content)
    code, output = run([verb, str(target)])
    assert code == 1 and str(target) in output


@pytest.mark.parametrize("verb", ["graph", "lint"])
def test_file_verbs_refuse_a_zip_bomb(tmp_path: Path, verb: str) -> None:
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.xml", b"<" + b" " * (300 << 20))
    code, output = run([verb, str(bomb)])
    assert code == 1 and "zip bomb" in output


@pytest.mark.parametrize("verb", ["graph", "lint"])
def test_file_verbs_on_a_missing_file_are_usage_errors(tmp_path: Path, verb: str) -> None:
    code, output = run([verb, str(tmp_path / "missing.xml")])
    assert code == 2 and "does not exist" in output


def test_graph_into_a_missing_directory_names_it(tmp_path: Path) -> None:
    code, output = run(["graph", str(DEMO_XML), "-o", str(tmp_path / "no" / "x.dot")])
    assert code == 1 and "cannot write" in output


@settings(max_examples=40, deadline=None)
@given(argv=st.lists(st.text(max_size=16), max_size=4))
def test_fuzzed_sim_options_never_start_and_never_crash(argv: list[str]) -> None:
    # --help-free garbage after a simulator name: a usage error or a clean refusal;
    # a valid-looking argv is steered away from really serving (bad port number).
    run(["sim", "gige", "--port", "99999", *argv])


@pytest.mark.parametrize("argv", [["get", "mem:\x00", "Width"], ["lint", "a\x00b"],
                                  ["save", f"mem:{DEMO_XML}", "\x00"]])
def test_a_nul_byte_in_any_argument_is_a_usage_error(argv: list[str]) -> None:
    code, output = run(argv)
    assert code == 2 and any(w in output for w in ("NUL byte", "null byte", "does not exist"))


@pytest.mark.parametrize("argv, needle", [
    (["discover", "--address", "127.0.0.1", "--timeout", "1e308"], "give 0 to 86400 seconds"),
    (["discover", "--address", "127.0.0.1", "--timeout", "inf"], "give 0 to 86400 seconds"),
    (["discover", "--address", "127.0.0.1", "--timeout", "nan"], "give 0 to 86400 seconds"),
    (["discover", "--address", "127.0.0.1", "--timeout", "-1"], "give 0 to 86400 seconds"),
    (["execute", f"mem:{DEMO_XML}", "X", "--timeout", "1e999"], "give 0 to 86400 seconds"),
    (["get", "gvcp://127.0.0.1:99999", "Width"], "port 99999 is not a UDP port"),
    (["get", "gvcp://127.0.0.1:0", "Width"], "port 0 is not a UDP port"),
    (["get", "gvcp://[::1]", "Width"], "runs over IPv4"),
    (["get", "gvcp://127.0.0.1?deadline=nan", "Width"], "deadline must be a positive number"),
    (["get", "gvcp://127.0.0.1?deadline=inf", "Width"], "deadline must be a positive number"),
    (["sim", "gige", "--address", "256.0.0.1"], "not an IPv4 address"),
    (["sim", "gige", "--address", "\u0661\u0662\u0667.0.0.1"], "not an IPv4 address"),
])
def test_huge_odd_and_unicode_numbers_are_usage_errors(argv: list[str], needle: str) -> None:
    # each of these escaped as OverflowError / inet_aton errors, or hung on a nan deadline
    code, output = run(argv)
    assert code == 2 and needle in output, (code, output)
