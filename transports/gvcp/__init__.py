"""GigE Vision over GVCP (UDP 3956).

Rooms: :mod:`.protocol` (sans-IO codec), :mod:`.client` (UDP client: retries,
heartbeat, Port), :mod:`.discovery` (DISCOVERY/FORCEIP), :mod:`.device` (a simulated
device), :mod:`.link` (``gvcp://`` for ``nodemap.open``).  Import the room you need;
this package imports nothing heavy.
"""
