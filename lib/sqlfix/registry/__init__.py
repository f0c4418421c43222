"""MLflow: tracking of training runs, the model registry and its aliases (challenger, champion)."""
