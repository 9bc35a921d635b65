"""The investments subgraph: investment accounts, owner of the federated ``InvestmentAccount``."""
