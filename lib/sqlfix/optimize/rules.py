"""The rule-based round (iteration 0) of optimisation data: slow queries and their rule-based rewrites.

Slow queries: every de-optimiser over every seed query, drawn under the diversity quotas. Candidates per
slow query: the *inverse* (the seed it was made from: the de-optimiser undone) and sqlglot's optimizer
(its canonical rewrite of the slow query). The split is drawn per seed query before anything else, so a
seed's variants (and, later, their renamed copies) never straddle train and validation.
"""

from __future__ import annotations

import hashlib

from sqlfix.optimize.deoptimize import deoptimize, select_with_quotas
from sqlfix.optimize.queries import SEEDS


def split_of(seed_id: str, validation_share: float, salt: int = 0) -> str:
    """train or validation for a seed query, by a salted hash (stable across runs).

    Example:
        >>> [split_of(s, 0.5) for s in ("a", "b", "c", "d", "e", "f")]
        ['train', 'train', 'train', 'validation', 'train', 'validation']
    """
    draw = int(hashlib.sha256(f"{salt}:{seed_id}".encode()).hexdigest()[:12], 16) / 16**12
    return "validation" if draw < validation_share else "train"


def slow_queries(n: int, max_share: float, validation_share: float, salt: int = 0, pool=None,
                 sites: int = 1) -> list[dict]:  # fmt: skip
    """At most ``n`` (slow query, seed) items under the quotas, each with its split; ``pool``: the seeds and
    their databases (``seeds.Pool``; default: the hand-written seeds over the generated domains); ``sites``:
    per rule and region, how many of its sites each give a slow query (``deoptimize``)."""
    items = []
    for domain, name, sql in pool.seeds if pool is not None else SEEDS:
        seed_id = f"{domain}.{name}"
        where = {} if pool is None or pool.generated(domain) else {
            "schema": pool.schema(domain), "partition_columns": pool.partition_columns(domain)}  # fmt: skip
        for pattern, slow in deoptimize(sql, sites=sites, **where):
            items.append({"seed_id": seed_id, "domain": domain, "pattern": pattern, "seed_sql": sql, "slow_sql": slow,
                          "split": split_of(seed_id, validation_share, salt)})  # fmt: skip
    return select_with_quotas(items, n, max_share)


def sqlglot_rewrite(sql: str, schema: dict[str, dict[str, str]]) -> str | None:
    """sqlglot's optimizer applied to ``sql`` (Spark dialect), or None when it cannot or changes nothing."""
    import sqlglot
    from sqlglot.optimizer import optimize

    try:
        out = optimize(sqlglot.parse_one(sql, read="spark"), schema=schema, dialect="spark").sql(
            dialect="spark", pretty=True
        )
    except Exception:  # noqa: BLE001 - the optimizer gives up on some shapes: no candidate then
        return None
    return out if out.strip() != sql.strip() else None


def candidates(item: dict, schema: dict) -> list[tuple[str, str]]:
    """(source, fast SQL) candidates for one slow query."""
    out = [("inverse", item["seed_sql"])]
    rewrite = sqlglot_rewrite(item["slow_sql"], schema)
    if rewrite and rewrite != item["seed_sql"]:
        out.append(("sqlglot", rewrite))
    return out


def pair_id(slow_sql: str, fast_sql: str) -> str:
    return hashlib.sha256(f"{slow_sql}\x00{fast_sql}".encode()).hexdigest()
