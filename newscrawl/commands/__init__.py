"""The subcommands of ``newscrawl``: one module each, with a ``register(subparsers)``."""
