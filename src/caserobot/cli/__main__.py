"""``python -m caserobot.cli``: the same as the ``caserobot`` command."""

from caserobot.cli import main

main()
