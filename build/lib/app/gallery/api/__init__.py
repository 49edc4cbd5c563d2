"""GraphQL surface of the gallery (photo consent, photos and albums) for app.root."""

from app.gallery.api.consent import ConsentMutations, ConsentQueries
from app.gallery.api.photos import PhotoMutations, PhotoQueries

__all__ = ["ConsentMutations", "ConsentQueries", "PhotoMutations", "PhotoQueries"]
