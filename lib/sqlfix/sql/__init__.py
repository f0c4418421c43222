"""The shared SQL core, under every pipeline stage: statements, the one line diff, normalisation, and the
tables a query references. Plain Python (and Spark expressions with the same answers); no stage logic."""
