"""The stale-version conflict every subgraph raises for an update that names an old ``version``."""

from __future__ import annotations

import pytest

from subgraphs.kit import Conflict, StaleVersion, require_version


def test_require_version_passes_the_current_version() -> None:
    require_version("The user", 3, 3)  # no exception


def test_require_version_refuses_an_old_one_and_tells_the_current_one() -> None:
    with pytest.raises(StaleVersion) as caught:
        require_version("The user", 4, 3)
    error = caught.value
    assert isinstance(error, Conflict) and error.code == "CONFLICT"
    assert str(error) == (
        "The user was changed since this version was read; read it again and retry."
    )
    assert error.extensions == {
        "code": "CONFLICT",
        "reason": "STALE_VERSION",
        "field": "version",
        "currentVersion": 4,
    }


def test_a_lost_race_has_no_current_version() -> None:
    error = StaleVersion("The compliance log", verb="amended")
    assert str(error) == "The compliance log was amended by someone else; read it again and retry."
    assert error.extensions == {"code": "CONFLICT", "reason": "STALE_VERSION", "field": "version"}
