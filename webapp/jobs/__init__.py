"""Background jobs on RQ and Redis."""
