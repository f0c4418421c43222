"""SQL optimisation data (ReSTEM): generated databases, slow queries, verified faster rewrites, rewards."""
