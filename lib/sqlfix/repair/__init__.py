"""Repair: verified fixes at serving time — deterministic repairs keyed on the error, the model, and the
analyzer's verdict on every candidate before anything is shown."""
