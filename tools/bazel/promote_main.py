"""Bazel's entry point for tools/promote (the same CLI: tools.delivery.promote)."""

import sys

from tools.delivery.promote import main

if __name__ == "__main__":
    sys.exit(main())
