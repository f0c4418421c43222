"""Mining: (bug SQL, error message, fixed SQL) pairs from what users did."""
