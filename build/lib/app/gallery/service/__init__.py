"""Gallery's use cases: photos and albums, photo consent, export, retention."""
