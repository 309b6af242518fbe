"""The gentl: transport end to end on real producers: viky.cti (3 devices, RGBa8 with chunks)
and TLSimu.cti (4 devices on 2 interfaces, Mono and colour, 36 pixel formats)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

import nodemap
from nodemap.errors import AccessError, NodeMapError, ParameterError, PortError, TimeoutError
from nodemap.imaging import pfnc
from nodemap.plugin import DiscoveryRequest
from nodemap.transports.gentl.api import GenTLAccessDenied, GenTLError
from nodemap.transports.gentl.link import open_link
from nodemap.transports.gentl.plugin import discover
from nodemap.transports.gentl.producer import Producer

from .producers import require_producer

pytestmark = pytest.mark.peer

VALUE_KINDS = ("Integer", "Float", "Boolean", "String", "Enumeration")
DEVICES = {"viky": 3, "tlsimu": 4}


def _urls(path: Path) -> list[str]:
    with Producer.open(path) as producer:
        return [f"gentl:{path}?index={e.index}" for e in producer.devices()]


def _read_all(features: object) -> tuple[int, list[tuple[str, str]]]:
    """Read every readable value feature; (count read, [(name, error)…])."""
    read, failed = 0, []
    for name in features:                      # type: ignore[attr-defined]
        f = features[name]                     # type: ignore[index]
        if f.kind in VALUE_KINDS and f.is_readable:
            try:
                f.value
                read += 1
            except NodeMapError as exc:
                failed.append((name, f"{type(exc).__name__}: {exc}"))
    return read, failed


# ------------------------------------------------------------------ discovery, URLs


def test_discovery_lists_every_device_of_both_producers(gentl_path: str) -> None:
    found = list(discover(DiscoveryRequest(timeout=0.5)))
    by_producer: dict[str, list] = {}
    for d in found:
        by_producer.setdefault(Path(d.extra["producer"]).name, []).append(d)
    assert {k: len(v) for k, v in by_producer.items()} == {"viky.cti": 3, "TLSimu.cti": 4}
    assert {d.model for d in by_producer["TLSimu.cti"]} == {"TLSimuMono", "TLSimuColor"}
    assert {d.interface for d in by_producer["TLSimu.cti"]} == {"XX::InterfaceA",
                                                                "XX::InterfaceB"}
    for d in found:                        # every URL discovery gives opens that device
        with nodemap.open(d.url) as cam:
            assert cam.link.entry.serial == d.serial
            assert cam.link.entry.interface == d.interface


def test_discovery_of_an_extra_producer_and_a_bad_one(tlsimu: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GENICAM_GENTL64_PATH", raising=False)
    monkeypatch.delenv("GENICAM_GENTL32_PATH", raising=False)
    assert list(discover(DiscoveryRequest())) == []
    found = list(discover(DiscoveryRequest(options={"gentl_producers": [str(tlsimu)]})))
    assert len(found) == 4
    junk = tmp_path / "junk.cti"
    junk.write_text("not a library")
    with pytest.raises(ValueError, match="not a GenTL producer"):
        list(discover(DiscoveryRequest(options={"gentl_producers": [str(junk)]})))


def test_urls_select_by_serial_id_interface_and_path_search(gentl_path: str,
                                                            tlsimu: Path) -> None:
    with nodemap.open("gentl:?device=SN_InterfaceB_1") as cam:      # searched on the path
        assert cam.link.entry.model == "TLSimuColor"
        assert cam.link.entry.interface == "XX::InterfaceB"
    with nodemap.open("gentl:TLSimu.cti?interface=XX::InterfaceB&device=TLSimuMono") as cam:
        assert cam.link.entry.serial == "SN_InterfaceB_0"
    with pytest.raises(ParameterError, match="matches 2 devices.*interface=ID"):
        open_link(f"gentl:{tlsimu}?device=TLSimuMono")
    with pytest.raises(PortError, match=r"no device 'nope'.*SN_InterfaceA_0"):
        open_link(f"gentl:{tlsimu}?device=nope")
    with pytest.raises(PortError, match="no interface 'XX::Nope'.*XX::InterfaceA"):
        open_link(f"gentl:{tlsimu}?interface=XX::Nope")
    with pytest.raises(PortError, match="no device index 9"):
        open_link(f"gentl:{tlsimu}?index=9")
    with pytest.raises(ParameterError, match=r"'devise' \(did you mean device\?\)"):
        open_link(f"gentl:{tlsimu}?devise=SN_InterfaceA_0")
    with pytest.raises(PortError, match="no producer named 'other.cti'"):
        open_link("gentl:other.cti?index=0")


# ------------------------------------------------------------------ features


@pytest.mark.parametrize("name", sorted(DEVICES))
def test_every_device_opens_and_every_readable_feature_reads(name: str, viky: Path,
                                                             tlsimu: Path) -> None:
    path = {"viky": viky, "tlsimu": tlsimu}[name]
    urls = _urls(path)
    assert len(urls) == DEVICES[name]
    for url in urls:
        with nodemap.open(url) as cam:
            read, failed = _read_all(cam.features)
            assert read > 20 and not failed, (url, failed)
            assert cam.features["Width"].value > 0 and cam.features["Height"].value > 0
            for label in ("system", "interface", "local_device", "data_stream"):
                module = getattr(cam, label)
                read, failed = _read_all(module.features)
                assert read > 3, (url, label)
                # What fails is the producer refusing the read (harvesters agrees: see
                # test_harvesters), never nodemap.
                assert all("GCReadPort" in error for _, error in failed), (url, label, failed)


def test_module_features_agree_with_the_info_commands(viky: Path) -> None:
    with nodemap.open(f"gentl:{viky}?device=2") as cam:
        assert cam.system.features["TLVendorName"].value == "Machine Vision Games Ltd."
        assert cam.system.port_name == "TLPort"
        assert cam.interface.features["InterfaceID"].value == "VikyTL_ITF_UnivIF"
        assert cam.local_device.features["DeviceID"].value == "VikyTL_DEV_blue"
        assert cam.local_device.features["DeviceSerialNumber"].value == "2"
        assert cam.data_stream.features["StreamID"].value == "VikyTL_STM0_blue"
        assert cam.device_info["serial_number"] == "2"
        assert cam.xml_url is not None and cam.xml_url.scheme == "local"


@pytest.mark.parametrize("producer,index", [("tlsimu", 0), ("tlsimu", 1), ("viky", 0)])
def test_write_width_and_height_and_read_back(producer: str, index: int, viky: Path,
                                              tlsimu: Path) -> None:
    path = {"viky": viky, "tlsimu": tlsimu}[producer]
    with nodemap.open(f"gentl:{path}?index={index}") as cam:
        for name in ("Width", "Height"):
            f = cam.features[name]
            assert f.is_writable
            lo, hi, inc = f.min, f.max, f.inc or 1
            target = lo + ((hi - lo) // 2) // inc * inc
            if target == f.value:
                target = lo
            f.value = target
            f.invalidate()
            assert f.value == target
        width, height = cam.features["Width"].value, cam.features["Height"].value
        frame = cam.grab(timeout=10)
        assert (frame.width, frame.height) == (width, height)
        assert frame.payload.nbytes >= pfnc.payload_size(frame.pixel_format, width, height)


# ------------------------------------------------------------------ frames


def _formats(cam: nodemap.Camera) -> list[str]:
    """The pixel formats the device offers: every entry when PixelFormat is writable,
    else the one it has (TLSimu's register is read-only: one format per device)."""
    f = cam.features["PixelFormat"]
    return list(f.entries) if f.is_writable else [f.value]


@pytest.mark.parametrize("producer,index", [("tlsimu", 0), ("tlsimu", 1), ("viky", 0)])
def test_grab_20_frames_of_each_pixel_format(producer: str, index: int, viky: Path,
                                             tlsimu: Path) -> None:
    path = {"viky": viky, "tlsimu": tlsimu}[producer]
    unpacked = 0
    with nodemap.open(f"gentl:{path}?index={index}") as cam:
        formats = _formats(cam)
        assert formats
        tested = 0
        for name in formats:
            if cam.features["PixelFormat"].is_writable:
                try:
                    cam.features["PixelFormat"].value = name
                except AccessError as exc:      # an entry of another component (viky's 3D)
                    assert "not available" in str(exc)
                    continue
            tested += 1
            width, height = cam.features["Width"].value, cam.features["Height"].value
            ids = []
            with cam.stream(buffers=6) as stream:
                for frame in stream.frames(20, timeout=10):   # each frame dropped in turn
                    ids.append(frame.frame_id)
                    assert frame.complete
                    assert frame.pixel_format == name, (frame.pixel_format, name)
                    assert (frame.width, frame.height) == (width, height)
                    assert frame.payload.nbytes >= pfnc.payload_size(name, width, height) \
                        if pfnc.is_supported(name) else frame.payload.nbytes > 0
                    if pfnc.is_supported(name):
                        assert frame.array.shape[:2] == (height, width)
                assert stream.stats["completed"] == 20
            assert ids == sorted(ids) and len(set(ids)) == 20, ids
            unpacked += pfnc.is_supported(name)
        assert tested >= min(2, len(formats))
    assert unpacked >= 1


def test_tlsimu_mono8_pattern_and_consumer_vs_producer_buffers(tlsimu: Path) -> None:
    """TLSimu's Mono8 pattern: pixel (x, y) = (x + y + c) mod 256, with c the producer's
    pattern counter — the same with our buffers (DSAnnounceBuffer) and the producer's
    (DSAllocAndAnnounceBuffer).  c is the frame id while TLSimu keeps up; on a loaded
    machine its pattern counter runs ahead of its frame id (a constant offset from then
    on, in both modes and across streams: the producer's counters, not our buffers), so
    the test checks the ramp of each frame and that frame ids increase."""
    import numpy as np

    with nodemap.open(f"gentl:{tlsimu}?device=SN_InterfaceA_0") as cam:
        assert cam.features["PixelFormat"].value == "Mono8"
        kept = []
        for allocate in ("consumer", "producer"):
            with cam.stream(buffers=5, allocate=allocate) as stream:
                assert stream.source.allocate == allocate
                ids = []
                for frame in stream.frames(6, timeout=10):
                    a = frame.array
                    ramp = (np.arange(frame.width)[None, :] + np.arange(frame.height)[:, None]
                            + int(a[0, 0])) % 256
                    assert np.array_equal(a, ramp.astype(np.uint8)), (allocate, frame)
                    ids.append(frame.frame_id)
                assert ids == sorted(ids) and len(set(ids)) == len(ids), (allocate, ids)
                kept.append((frame, frame.array.copy()))
        for frame, pixels in kept:    # frames outlive their stream: their memory is theirs
            assert np.array_equal(frame.array, pixels)


def test_viky_chunk_layout_is_reported_and_its_chunk_features_read(viky: Path) -> None:
    """viky lists its chunks (DSGetBufferChunkData): the image chunk, then a 4-byte game
    chunk (0xFEEDABEE) read by ``ChunkNrBounces``; its tags are little-endian, so only the
    producer's descriptors — not GigE Vision trailers — find it."""
    from nodemap.app.plugins import plugins

    assert "chunks" in plugins()["gentl"].capabilities
    with nodemap.open(f"gentl:{viky}?index=1") as cam:
        with cam.stream(buffers=3) as stream:
            frame = stream.next(10)
            layout = stream.source.chunk_layout(frame)
        assert layout is not None and layout.chunks
        assert frame.chunks is not None and bytes(frame.chunks)
        ends = [offset + length for _, offset, length in layout.chunks]
        assert max(ends) <= frame.payload.nbytes
        game = [(offset, length) for cid, offset, length in layout.chunks
                if cid == 0xFEEDABEE]
        assert len(game) == 1
        offset, length = game[0]
        expected = int.from_bytes(frame.payload[offset:offset + length], "little")
        frame.chunks.bind(cam.nodemap)
        assert frame.chunks["ChunkNrBounces"].access == "RO"
        assert frame.chunks["ChunkNrBounces"].value == expected
        assert frame.chunks["ChunkScan3dCoordinateScale"].access == "NA"   # not sent
        result = cam.nodemap.attach_chunks(frame)
        assert result.error is None and result.bound == ("GameChunkPort",)
        assert cam.features["ChunkNrBounces"].value == expected
        cam.features["ChunkModeActive"].value = False      # no chunk data: as a GVSP frame
        plain = cam.grab(timeout=10)
        assert plain.complete and plain.chunks is None


def test_chunk_bytes_keep_the_chunks_after_the_image() -> None:
    from nodemap.transports.gentl.stream import _chunk_bytes

    data = memoryview(bytes(range(40)))
    chunks, descriptors = _chunk_bytes(data, ((7, 24, 4), (1, 0, 16), (9, 32, 8)), 16)
    assert chunks == bytes(range(24, 40)) and descriptors == ((7, 0, 4), (9, 8, 8))
    assert _chunk_bytes(data, ((1, 0, 16),), 16) == (None, None)       # only the image
    assert _chunk_bytes(data, ((7, 36, 8),), 16) == (None, None)       # overruns the buffer


MODE_CASES = [("viky", 0), ("tlsimu", 0), ("tlsimu", 2)]


@pytest.mark.parametrize("producer,index", MODE_CASES,
                         ids=[f"{p}-{i}" for p, i in MODE_CASES])
def test_grab_and_stream_in_every_acquisition_mode_keep_it(producer: str, index: int) -> None:
    """The stream runs Continuous, and the camera's own AcquisitionMode comes back after
    ``grab()`` and ``stream()`` — in every mode the producer offers (TLSimu: Continuous
    and SingleFrame; viky: Continuous only, read-only)."""
    path = require_producer(producer)
    with nodemap.open(f"gentl:{path}?index={index}") as cam:
        mode = cam.features["AcquisitionMode"]
        entries = list(mode.entries)
        assert "Continuous" in entries
        for name in entries:
            if mode.is_writable:
                mode.value = name
            for _ in range(2):
                assert cam.grab(timeout=10).complete
            assert mode.value == name
            with cam.stream(buffers=4) as stream:
                assert len([f for f in stream.frames(4, timeout=10) if f.complete]) == 4
                assert mode.value == "Continuous"
            assert mode.value == name
        if producer == "tlsimu":
            assert "SingleFrame" in entries


def test_stop_while_a_buffer_is_out_then_restart(tlsimu: Path) -> None:
    import numpy as np

    with nodemap.open(f"gentl:{tlsimu}?index=0") as cam:
        with cam.stream(buffers=5) as stream:
            held = stream.next(10)
            copy = np.array(held.array)
            stream.stop()
            assert np.array_equal(held.array, copy)        # still ours, still intact
            with pytest.raises(PortError, match="stopped"):
                stream.source.next_frame(1.0)
            stream.start()
            for frame in stream.frames(8, timeout=10):   # 4 buffers turn while one is held
                assert frame.complete and frame.frame_id != held.frame_id
            assert np.array_equal(held.array, copy)
        assert np.array_equal(held.array, copy)            # and after close


def test_stop_from_another_thread_wakes_a_waiting_next_frame(tlsimu: Path) -> None:
    with nodemap.open(f"gentl:{tlsimu}?index=0") as cam:
        stream = cam.stream(buffers=5).start()
        first = threading.Event()
        outcome: list[BaseException] = []

        def consume() -> None:
            deadline = time.monotonic() + 30
            try:
                for _ in range(100000):
                    if time.monotonic() > deadline:
                        return
                    stream.source.next_frame(5.0)
                    first.set()
            except BaseException as exc:  # noqa: BLE001 - the test inspects it
                outcome.append(exc)

        worker = threading.Thread(target=consume)
        worker.start()
        assert first.wait(20)
        stream.stop()
        worker.join(30)
        assert not worker.is_alive()
        assert outcome and isinstance(outcome[0], PortError) and "stopped" in str(outcome[0])
        stream.close()


def test_no_frame_in_time_is_a_timeout_naming_the_stream(tlsimu: Path) -> None:
    with nodemap.open(f"gentl:{tlsimu}?index=0") as cam:
        cam.features["TriggerMode"].value = "On"     # frames wait for a software trigger
        try:
            with cam.stream(buffers=5) as stream:
                with pytest.raises(TimeoutError, match=r"no frame from SN_InterfaceA_0/DS0"):
                    stream.next(0.3)
        finally:
            cam.features["TriggerMode"].value = "Off"


# ------------------------------------------------------------------ bad input, faults


def test_device_already_open_is_refused_clearly_and_the_first_keeps_working(
        tlsimu: Path) -> None:
    with nodemap.open(f"gentl:{tlsimu}?device=SN_InterfaceA_1") as cam:
        with pytest.raises(GenTLAccessDenied, match="IFOpenDevice.*RESOURCE_IN_USE"):
            nodemap.open(f"gentl:{tlsimu}?device=SN_InterfaceA_1")
        assert cam.features["Width"].value > 0
        assert cam.grab(timeout=10).complete
    with nodemap.open(f"gentl:{tlsimu}?device=SN_InterfaceA_1") as cam:   # free again
        assert cam.features["Width"].value > 0


def test_producer_error_in_the_middle_of_a_grab(tlsimu: Path) -> None:
    """DSGetBufferInfo fails after a few frames (GC_ERR_IO): a clear GenTLError naming the
    call; the stream and device close cleanly and open again."""
    from nodemap.transports.gentl.api import GC

    with nodemap.open(f"gentl:{tlsimu}?index=0") as cam:
        lib = cam.link.producer.lib
        real = lib.functions["DSGetBufferInfo"]
        calls = {"n": 0}

        def failing(*args: object) -> int:
            calls["n"] += 1
            return GC.IO if calls["n"] > 60 else real(*args)

        lib.functions["DSGetBufferInfo"] = failing
        try:
            with cam.stream(buffers=5) as stream:
                got = 0
                with pytest.raises(GenTLError, match=r"DSGetBufferInfo .*GC_ERR_IO"):
                    for _ in range(100):
                        stream.next(10)
                        got += 1
                assert got >= 1
                assert stream.stats["errors"] == 1
        finally:
            lib.functions["DSGetBufferInfo"] = real
        with cam.stream(buffers=5) as stream:      # the next stream of the device works
            assert all(f.complete for f in stream.frames(5, timeout=10))
    with nodemap.open(f"gentl:{tlsimu}?index=0") as cam:
        assert cam.grab(timeout=10).complete


def test_event_wait_failure_is_a_clear_error(tlsimu: Path) -> None:
    from nodemap.transports.gentl.api import GC

    with nodemap.open(f"gentl:{tlsimu}?index=0") as cam:
        stream = cam.stream(buffers=5)
        source = stream.source
        source._wait = lambda *args: GC.INVALID_HANDLE
        with stream:
            with pytest.raises(GenTLError, match="EventGetData .*GC_ERR_INVALID_HANDLE"):
                stream.next(2)


def _threads_and_fds() -> tuple[int, int]:
    import os

    return threading.active_count(), len(os.listdir("/proc/self/fd"))


@pytest.mark.parametrize("producer", sorted(DEVICES))
def test_100_open_close_cycles_leak_nothing(producer: str, viky: Path, tlsimu: Path) -> None:
    path = {"viky": viky, "tlsimu": tlsimu}[producer]
    url = f"gentl:{path}?index=0"

    def cycle(i: int) -> None:
        with nodemap.open(url) as cam:
            assert cam.features["Width"].value > 0
            if i % 10 == 0:
                with cam.stream(buffers=5) as stream:
                    assert stream.next(10).complete

    cycle(0)                                    # the producer's own one-time set-up
    before = _threads_and_fds()
    deadline = time.monotonic() + 100
    done = 0
    for i in range(1, 101):
        if time.monotonic() > deadline:
            break
        cycle(i)
        done += 1
    after = _threads_and_fds()
    assert done >= 50, f"only {done} cycles in 100 s"
    assert after[0] <= before[0], f"threads {before[0]} → {after[0]}"
    assert after[1] <= before[1], f"fds {before[1]} → {after[1]}"
    from nodemap.transports.gentl import producer as module
    assert not module._registry, "a producer stayed initialised"


@pytest.mark.parametrize("producer", sorted(DEVICES))
def test_read_many_agrees_with_single_reads(producer: str, viky: Path, tlsimu: Path) -> None:
    path = {"viky": viky, "tlsimu": tlsimu}[producer]
    with nodemap.open(f"gentl:{path}?index=0") as cam:
        base = cam.xml_url.address
        requests = [(base + 4 * i, 4) for i in range(16)] + [(base, 200)]
        assert cam.port.read_many(requests) == [cam.port.read(a, n) for a, n in requests]
        assert cam.port.read_many([]) == []
    with pytest.raises(PortError, match="closed"):
        cam.port.read(base, 4)
