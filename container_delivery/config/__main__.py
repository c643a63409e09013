"""Check a config file without synthesizing: ``python -m container_delivery.config [FILE]``.

Exit 0 and a one-line summary when the file is valid, 2 and every problem when it is not
(the same message ``cdk synth`` would print). Without FILE, the embedded default is checked.
"""

from __future__ import annotations

import sys

from .loader import ConfigError, load_config


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) > 1 or any(arg.startswith("-") for arg in args):
        print("usage: python -m container_delivery.config [FILE]", file=sys.stderr)
        return 2
    path = args[0] if args else None
    try:
        config = load_config(path)
    except ConfigError as error:
        print(f"container-delivery: {error}", file=sys.stderr)
        return 2
    names = ", ".join(service.name for service in config.services)
    print(f"{path or 'the default config'} is valid: {len(config.services)} services ({names})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
