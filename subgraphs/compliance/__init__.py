"""The compliance subgraph: an append-only, hash-chained log of compliance events and audits."""
