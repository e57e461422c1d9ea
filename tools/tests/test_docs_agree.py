"""Documentation that restates code is checked against it: every setting the
service reads is in the configuration table of services/README.md."""

from __future__ import annotations

from kv.config import variables

from tools.testkit.tooling import REPO_ROOT


def settings_read_by_the_service() -> set[str]:
    # kv.config is the one reader of the service's environment, gunicorn's too.
    return set(variables())


def test_every_setting_the_service_reads_is_documented() -> None:
    names = settings_read_by_the_service()
    assert {"REDIS_URL", "KV_KEY_PREFIX", "GUNICORN_WORKERS"} <= names, "the scan found too little"
    table = (REPO_ROOT / "services" / "README.md").read_text()
    missing = sorted(name for name in names if f"`{name}`" not in table)
    assert not missing, f"not in the configuration table of services/README.md: {missing}"
