"""Inference: turning fixer prompts into candidate SQL with a causal LM (transformers, or vLLM when installed)."""
