"""GraphQL surface of files: the File type (types.py) that other slices refer to lazily."""
