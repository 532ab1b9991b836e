"""Load and soak runs against the app started as in production."""
