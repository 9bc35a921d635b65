"""The four domain subgraphs (users, investments, transactions, compliance) and their shared kit."""
