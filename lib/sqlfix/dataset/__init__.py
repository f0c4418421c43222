"""The SFT dataset: the fixer prompt, leakage-free splits, versioned Delta tables."""
