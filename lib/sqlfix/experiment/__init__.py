"""Experiments over the training recipe: arms that differ in one setting, trained on one dataset and
evaluated on one eval set every K steps (``dmsft``: plain SFT against DM-SFT at several drop rates)."""
