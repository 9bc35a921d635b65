"""The federation router: supergraph, query planning, execution, HTTP (GraphQL, GraphiQL, REST)."""
