"""One module per ``callscript`` subcommand: ``register(subparsers)`` and a ``run(args)``.

``register`` must stay cheap (argparse only) because ``callscript --help`` imports every command;
``run`` imports what it needs. See ``callscript.cli``.
"""
