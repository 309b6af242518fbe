"""Start the simulated devices that transport plugins offer (``nodemap sim``, the demo).

:func:`start_simulator` is the one entry point: ``start_simulator("gige")`` asks the plugin
that offers a simulator named ``gige`` to start it in this process and returns the running
:class:`~nodemap.plugin.Simulator` (its ``urls`` open with ``nodemap.open``).
"""

from __future__ import annotations

import signal
import threading
from typing import Any

from ..plugin import Simulator, resolve
from .plugins import simulators

__all__ = ["Simulator", "start_simulator", "wait_for_signal"]


def start_simulator(name: str, **options: Any) -> Simulator:
    """Start the simulator ``name`` (``gige``, ``fcb``, ``sxh485`` … any plugin's).

    Options are the simulator's own (see ``nodemap sim NAME --help``); an invalid value
    raises ValueError with a message for the user.
    """
    offered = simulators()
    if name not in offered:
        raise ValueError(f"unknown simulator {name!r}; installed: {', '.join(sorted(offered))}")
    _, spec = offered[name]
    if spec.start is None:
        raise ValueError(f"simulator {name!r} runs only as `nodemap sim {name}` "
                         f"(it has its own main loop)")
    given = {o.dest: (() if o.multiple else o.default) for o in spec.options}
    given.update({k: v for k, v in options.items() if v is not None})
    simulator: Simulator = resolve(spec.start)(**given)
    return simulator


def wait_for_signal() -> None:
    """Block until Ctrl-C or SIGTERM."""
    stop = threading.Event()

    def handler(*_: object) -> None:
        stop.set()

    previous = None
    if hasattr(signal, "SIGTERM") and threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, handler)
    try:
        while not stop.wait(0.2):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
