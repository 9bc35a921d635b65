"""The transactions subgraph: deposits, withdrawals and trades, and the cash they leave."""
