"""pytest settings for the infra tests."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    # Lets a run select or deselect (-m "not google_provider") the tests that
    # need the google provider or tflint's google ruleset built from the Go
    # module proxy; without them those tests fail with the install hint.
    config.addinivalue_line(
        "markers",
        "google_provider: needs terraform-provider-google or tflint-ruleset-google "
        "built by tools/setup.d/20-infra.sh",
    )
