"""Spot checks (``sqlfix spotcheck``): stratified samples of filter batches and the pass-rate gate.

Not ``sqlfix review``, which is blind review of models' predictions (``sqlfix.evaluation.review``).
"""
