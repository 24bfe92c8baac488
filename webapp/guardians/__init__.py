"""« Responsables »: the parents of the current establishment's students."""
