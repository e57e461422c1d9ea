"""The tool versions mise.toml pins, for the set-up scripts and the tests.

`python3 pins.py` prints every pin as `TOOL<TAB>VERSION`; `python3 pins.py TOOL`
prints one version. TOOL is the key under `[tools]` (or `[env]`), as mise reads it.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

MISE_TOML = Path(__file__).resolve().parents[2] / "mise.toml"


def pins(path: Path = MISE_TOML) -> dict[str, str]:
    """Every `[tools]` and `[env]` entry of mise.toml, as name to version string."""
    config = tomllib.loads(path.read_text())
    table = {**config["tools"], **config.get("env", {})}
    return {name: str(value) for name, value in table.items()}


def main(argv: list[str]) -> int:
    table = pins()
    if not argv:
        for name, version in table.items():
            print(f"{name}\t{version}")
        return 0
    if argv[0] not in table:
        print(f"mise.toml pins no version of {argv[0]}", file=sys.stderr)
        return 1
    print(table[argv[0]])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
