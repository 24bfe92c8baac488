"""« Statistiques »: activation rates."""
