"""`python -m rnnzoo ...` runs the `rnnzoo` command."""

import sys

from rnnzoo.cli import main

sys.exit(main())
