"""`python -m bot` is the same as the `peerpulse` console script."""

from bot.cli import main

raise SystemExit(main())
