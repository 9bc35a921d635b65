"""Field-level encryption for the wealth platform (work in progress)."""
