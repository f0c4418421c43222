"""DM-SFT: line roles, the dynamic-mask collator, and the training recipe (HF Trainer + DeepSpeed + MLflow)."""
