"""« Élèves extérieurs »: students of other establishments following a shared course here."""
