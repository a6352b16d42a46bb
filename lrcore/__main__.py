"""``python -m lrcore ...`` runs the ``lrcore`` command line."""

import sys

from .cli import main

sys.exit(main())
