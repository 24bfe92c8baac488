"""Development tooling, not the product: the embedded default of `make run` (private slapd, Redis, mail sink), the SSO proxy stand-in, and the demo data with its registry exports."""
