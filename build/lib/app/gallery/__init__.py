"""Gallery: photo consent (samtykke), photos, albums, downloads, export and retention."""
