"""The `wealthtech` command line: run the system, manage schema, keys and data."""
