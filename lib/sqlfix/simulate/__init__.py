"""Platform-log simulator: realistic tasks, users and errors; the embedded default's data and the tests' truth."""
