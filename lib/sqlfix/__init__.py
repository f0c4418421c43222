"""sqlfix: a Spark-native job suite that teaches code LLMs to fix SQL."""

from __future__ import annotations

__version__ = "0.1.0"
