"""``python -m convcheck``: the command line (for a checkout on PYTHONPATH, not installed)."""

import sys

from .cli import main

sys.exit(main())
