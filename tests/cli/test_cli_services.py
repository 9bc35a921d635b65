"""The environment ``wealthtech up`` gives each process follows port overrides."""

from wealthtech_cli.services import ROUTER, SUBGRAPHS, service_environment


def test_every_subgraph_relays_audit_events_to_the_compliance_port_in_use() -> None:
    environ = {"COMPLIANCE_PORT": "15004", "USERS_PORT": "15001"}
    for service in SUBGRAPHS:
        env = service_environment(service, environ)
        assert env[f"{service.env_prefix}AUDIT_URL"] == "http://127.0.0.1:15004/graphql"
    investments = next(s for s in SUBGRAPHS if s.name == "investments")
    assert service_environment(investments, environ)["INVESTMENTS_USERS_URL"] == (
        "http://127.0.0.1:15001/graphql"
    )
    assert service_environment(ROUTER, environ)["ROUTER_SUBGRAPH_URL_COMPLIANCE"] == (
        "http://127.0.0.1:15004/graphql"
    )


def test_explicit_settings_win_over_derived_ones() -> None:
    users = next(s for s in SUBGRAPHS if s.name == "users")
    env = service_environment(users, {"USERS_AUDIT_URL": "http://audit.internal/graphql"})
    assert env["USERS_AUDIT_URL"] == "http://audit.internal/graphql"
