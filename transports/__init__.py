"""nodemap's own transports, one sub-package per wire protocol, each a plugin.

Each sub-package exports one :class:`nodemap.plugin.TransportPlugin` (its ``plugin``
module), registered through the ``nodemap.transports`` entry points in ``pyproject.toml``
exactly as a third party's transport would be:

    gvcp://HOST[:PORT]            GigE Vision over GVCP (UDP 3956)      gvcp/
    fcb:<pyserial url>?address=N  Sony FCB block camera over VISCA      fcb/
    sxh485:<pyserial url>?...     SXH485 serial JPEG camera             sxh485/
    vs1://HOST                    VS-1 smart camera (standard services) vs1/
    mem:PATH_TO_XML               a MemoryPort behind any XML           memory.py

Transports may import the engine (errors, the Port contract, resources); they never import
the application layer (``nodemap.app``).  This folder is installed as ``nodemap.transports``.
Open a URL with ``nodemap.open(url)`` or ``nodemap.app.plugins.open_link(url)``.
"""
