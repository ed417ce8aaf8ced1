"""``python -m callscript``: the same entry point as the ``callscript`` command."""

from callscript.cli import main

raise SystemExit(main())
