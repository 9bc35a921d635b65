"""The users subgraph: KYC user profiles, the owner of the federated ``User`` entity."""
