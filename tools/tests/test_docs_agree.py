"""Documentation that restates code is checked against it: every setting the
service reads is in the configuration table of services/README.md."""

from __future__ import annotations

import re

from tools.testkit.processes import gunicorn_setting_defaults
from tools.testkit.tooling import REPO_ROOT

SERVICE = REPO_ROOT / "services" / "kv"


def settings_read_by_the_service() -> set[str]:
    config = (SERVICE / "kv" / "config.py").read_text()
    names = set(re.findall(r'r\.\w+\(\s*"([A-Z][A-Z0-9_]+)"', config))
    return names | set(gunicorn_setting_defaults())


def test_every_setting_the_service_reads_is_documented() -> None:
    names = settings_read_by_the_service()
    assert {"REDIS_URL", "KV_KEY_PREFIX", "GUNICORN_WORKERS"} <= names, "the scan found too little"
    table = (REPO_ROOT / "services" / "README.md").read_text()
    missing = sorted(name for name in names if f"`{name}`" not in table)
    assert not missing, f"not in the configuration table of services/README.md: {missing}"
