"""Run Aravis's GigE Vision fake camera (for tests and benchmarks).

Started with Debian's ``/usr/bin/python3`` (python3-gi + gir1.2-aravis-0.8), NOT the
project venv.  ``Aravis.GvFakeCamera.new("lo", serial)`` answers GVCP on
127.0.0.1:3956.  Exits on its own after ``--lifetime`` seconds, so a crashed test run
never leaves it behind.
"""

import argparse
import sys

import gi

gi.require_version("Aravis", "0.8")
from gi.repository import Aravis, GLib  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--interface", default="lo")
    parser.add_argument("--serial", default="GV01")
    parser.add_argument("--lifetime", type=float, default=600.0)
    args = parser.parse_args()
    camera = Aravis.GvFakeCamera.new(args.interface, args.serial)
    if camera is None or not camera.is_running():
        print("fake camera failed to start", flush=True)
        return 1
    print("running", flush=True)
    loop = GLib.MainLoop()
    GLib.timeout_add(int(args.lifetime * 1000), loop.quit)
    try:
        loop.run()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
