"""Evaluation: how well a fixer fixes SQL (metrics per sample and per group, the evaluation run, blind review)."""
