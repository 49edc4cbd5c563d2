"""GraphQL of presence: check-in/out, the kiosk, the day views, the report, subscriptions."""
