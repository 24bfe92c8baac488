"""« Paramétrage »: delegations and letter settings."""
