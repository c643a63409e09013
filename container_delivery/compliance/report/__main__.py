"""The audit command's former name: it is now ``python -m container_delivery.audit``.

The command builds the whole reference app, so it lives at app level; this package is the report
library and imports neither the stacks nor the config. Kept so that an old script gets the new
name instead of "cannot be directly executed".
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Sequence

OLD = "python -m container_delivery.compliance.report"
NEW = "python -m container_delivery.audit"


def main(argv: Sequence[str] | None = None) -> int:
    command = shlex.join([*NEW.split(), *(sys.argv[1:] if argv is None else argv)])
    print(
        f"{OLD}: the audit command is now `{NEW}` (`make audit`), with the same options: "
        f"run `{command}`.",
        file=sys.stderr,
    )
    return 2


if __name__ == "__main__":
    sys.exit(main())
