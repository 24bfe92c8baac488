"""« Élèves »: the students of the current establishment."""
