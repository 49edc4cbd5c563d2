"""Use cases of files: uploads checked by their bytes (sniff), cleaned, stored and claimed."""
