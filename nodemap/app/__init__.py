"""The application layer: above the engine and the transports, naming neither directly.

``plugins`` (the registry of transport plugins, from the ``nodemap.transports`` entry points),
``camera`` (``nodemap.open`` and :class:`Camera`), ``cli`` (the ``nodemap`` command),
``demo``, ``decode`` (``nodemap decode``) and ``simulators``.  They loop over the registered
plugins; see ``docs/architecture.md``.
"""
