"""Use cases of presence: check-in/out, kiosk, nightly close, day views, report, live news."""
