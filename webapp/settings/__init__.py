"""« Paramétrage »: delegations and the establishment's letter settings."""
