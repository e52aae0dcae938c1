"""``python -m minewatch``: the same as the ``minewatch`` command."""

from minewatch.cli import main

main()
