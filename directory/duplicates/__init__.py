"""« Doublons »: the same person entered twice, found across the directory, merged with an undo."""
