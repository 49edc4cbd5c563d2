"""Use cases of pickup: persons and codeword, their photos, who fetched a child at check-out."""
