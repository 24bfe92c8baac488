"""« Doublons »: the pairs found across the directory, their merge and its undo."""
