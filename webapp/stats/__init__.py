"""« Statistiques » and the figures « Accueil » shares with it."""
