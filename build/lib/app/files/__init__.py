"""Uploads: checked, cleaned and stored files that other domains claim."""
