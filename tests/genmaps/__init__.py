"""Whole GenApi node maps drawn by hypothesis, for differential tests against the reference.

* :mod:`.model` — a small description model (:class:`~.model.NodeSpec`) written out as
  schema-ordered GenApi 1.1 XML (the order table of :mod:`nodemap.authoring.schema`,
  which the reference enforces);
* :mod:`.strategies` — :func:`~.strategies.node_maps`, a strategy drawing a
  :class:`~.model.MapSpec`: every node type, inline ``<IntSwissKnife>`` address nodes,
  selectors with ``pSelected``, ``pIndex`` registers and ``pValueIndexed`` integers,
  Converters of every ``Slope``, access chains, registers of every length/sign/endianness,
  bit fields, seeded register bytes, and a scenario of writes;
* :mod:`.compare` — runs a map on both node maps (same bytes behind each) and lists
  every disagreement, at the initial memory state, after each write and at each value
  of each selector.

Used by ``tests/reference/test_generated_maps.py``.
"""
