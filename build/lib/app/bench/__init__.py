"""`seddel bench` / `make bench`: seeds a realistic volume and measures the hot operations."""
