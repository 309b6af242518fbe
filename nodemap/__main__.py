"""``python -m nodemap``: the ``nodemap`` command."""

from nodemap.app.cli import main

main()
