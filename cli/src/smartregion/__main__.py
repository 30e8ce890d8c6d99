"""``python -m smartregion`` = the ``smartregion`` command."""

import sys

from smartregion.cli import main

sys.exit(main())
