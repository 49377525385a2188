"""`python -m computewatch ...`: the same as the `computewatch` command (the daemon runs its
crawls this way, with the interpreter it runs on)."""
import sys

from computewatch.cli import main

sys.exit(main())
