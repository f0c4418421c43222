"""Oriented generation: the error features corpus, targets, recall, mutators, the LLM generator, verification."""
