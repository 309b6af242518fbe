"""VS-1 smart cameras through the services their published port map allows.

Only the port map is public (seed ``004_*.txt``): FTP 21 (``cam.files``), HTTP 80 (the
boot-parameter page), the serial-over-TCP formatted-output ports 49211-49214
(``ResultString0``-``3``) and a passive listener for the UDP announce port 49495
(raw datagrams only).  The proprietary vskit services (49049, 49050, 49059, 49079,
49200-49202, 49493, 49495) answer any feature access with an explained
:class:`~nodemap.errors.UnsupportedError`.

Rooms: ``protocol`` (sans-IO: register map, line framing, boot-page parser),
``net`` (keepalive, connection states), ``results`` (result-port readers),
``files`` (FTP), ``boot`` (HTTP), ``port`` (the virtual-register Port), ``link``
(``vs1://`` opener), ``announce`` (UDP listener), ``device`` (simulated VS-1).
"""
