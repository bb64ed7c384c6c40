"""Entry point: ``python -m gate <stack>`` (the gate), ``python -m gate <subcommand> ...``."""

import sys

from gate.commands import SUBCOMMANDS

if len(sys.argv) > 1 and sys.argv[1] in SUBCOMMANDS:
    from gate.commands import main as commands_main

    raise SystemExit(commands_main(sys.argv[1:]))

from gate.cli import main  # noqa: E402

raise SystemExit(main())
