"""``python -m container_delivery.scan_gate``: the same as the ``scan-gate`` command."""

import sys

from .cli import main

sys.exit(main())
