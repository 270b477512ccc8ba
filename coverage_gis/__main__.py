"""``python -m coverage_gis`` runs the CLI."""

import sys

from coverage_gis.cli import main

sys.exit(main())
