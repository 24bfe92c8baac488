"""The account holders' area (students and parents): activation, e-mail, self-service recovery."""
