"""« Alimentation »: the identity team's registry imports (upload, preview, apply as a job) and cross-establishment search."""
