"""`python -m graph.cli.main`: the same as the `crimegraph` command."""

import sys

from graph.cli.main import main

sys.exit(main())
