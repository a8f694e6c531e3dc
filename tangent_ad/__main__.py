"""`python -m tangent_ad show|check ...` (see tangent_ad.cli)."""

import sys

from .cli import main

sys.exit(main())
