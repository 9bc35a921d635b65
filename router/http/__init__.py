"""The router's HTTP surface: GraphQL over HTTP, GraphiQL, health and readiness."""

from router.http.app import create_app, load_supergraph

__all__ = ["create_app", "load_supergraph"]
