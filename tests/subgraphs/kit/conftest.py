"""The kit is exercised through the users subgraph, the reference subgraph: same fixtures."""

from tests.subgraphs.users.conftest import (  # noqa: F401 - fixtures, found by name
    client,
    database_name,
    encryption_services,
    users_app,
)
