"""sqlfix: a Spark-native job suite that teaches code LLMs to fix SQL.

The package root is also the Python API: ``sqlfix.fix(sql, schema=..., error=None) -> FixResult``.
"""

from __future__ import annotations

__version__ = "0.1.0"


def fix(
    sql: str, schema: str | None = None, error: str | None = None, model: str | None = None, profile: str = "local"
):
    """A verified fix of ``sql`` (see ``sqlfix.repair.api.fix``); ``model``: None for the deterministic
    repairs alone, or base, @champion, v3, a folder."""
    from sqlfix.repair.api import fix as _fix

    return _fix(sql, schema, error, model, profile)
