"""« Accueil »: the establishment at a glance."""
