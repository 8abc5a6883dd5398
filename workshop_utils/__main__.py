"""``python -m workshop_utils ...``: see workshop_utils.cli."""

import sys

from workshop_utils.cli import main

sys.exit(main())
