"""Registry imports (« Alimentation »): the registry's files read safely, reconciled with the directory, applied."""
