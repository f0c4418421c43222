"""The Python face of ``sqlfix fix``: one JVM and (optionally) one model per process, reused by every call.

Example (not run: needs Spark):
    import sqlfix
    result = sqlfix.fix("SELECT ordr_id FROM shop.orders", schema="CREATE TABLE shop.orders (order_id BIGINT)")
    result.verified, result.fixed_sql, result.source   # (True, 'SELECT order_id FROM shop.orders', 'suggestion')
"""

from __future__ import annotations

import threading

from sqlfix.repair.service import Fixer, FixResult

_FIXERS: dict[tuple, Fixer] = {}
_LOCK = threading.Lock()


def fixer(model: str | None = None, profile: str = "local", overrides: tuple[str, ...] = ()) -> Fixer:
    """The process's ``Fixer`` for (model, profile, overrides), built on first use."""
    key = (model, profile, tuple(overrides))
    with _LOCK:
        if key not in _FIXERS:
            from pathlib import Path

            from sqlfix.config import load_config
            from sqlfix.filtering.judge import judge_from_config
            from sqlfix.inference.generate import load_generator
            from sqlfix.registry.models import resolve
            from sqlfix.spark import get_spark

            cfg = load_config(profile, overrides=list(overrides))
            generator = None
            if model:
                resolved = resolve(model, cfg["train"], Path(cfg["evaluate"]["model_cache"]))
                generator = load_generator(resolved.path, "hf", cfg["fix"]["batch_size"])
            judge = judge_from_config(get_spark(cfg), cfg)
            _FIXERS[key] = Fixer.from_config(judge, generator, cfg["fix"])
        return _FIXERS[key]


def fix(sql: str, schema: str | None = None, error: str | None = None, model: str | None = None,
        profile: str = "local") -> FixResult:  # fmt: skip
    """A verified fix of ``sql`` against ``schema`` (CREATE TABLEs); ``error`` defaults to Spark's own."""
    return fixer(model, profile).fix(sql, schema, error)
