"""Entry point: ``python -m gate <stack>``."""

from gate.cli import main

raise SystemExit(main())
