"""« Journal des opérations »: the audit trail as a screen and a CSV export."""
