"""Router tests: fail a test whose router sent a subgraph an operation the subgraph cannot accept.

See tests/router/subgraph_validity.py. The check runs in the call phase, so a test that is a
strict xfail for a known planner bug stays one while the bug lasts.
"""

from __future__ import annotations

from collections.abc import Generator

import pytest

from tests.router.subgraph_validity import take_invalid


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    take_invalid()  # whatever a fixture's setup sent belongs to no test call
    result = yield
    invalid = take_invalid()
    if invalid:
        listed = "\n".join(f"  {operation}" for operation in invalid)
        raise AssertionError(
            f"the router sent {len(invalid)} operation(s) invalid for their subgraph:\n{listed}"
        )
    return result
