"""Schema augmentation after the split: consistent renaming of tables and columns, and the chat export.

A copy renames every table and column of a pair's two queries with one mapping (sqlglot edits the AST, so
aliases, strings and keywords are untouched) and is kept only if both renamed queries still resolve
against the renamed schema (sqlglot's qualifier raises on an unknown name). Copies carry their original's
split: the split was drawn per seed query before any copy existed, so a copy never crosses it (Quill
augmented first and split after).
"""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

_SYNONYMS = {
    "orders": "purchases", "customers": "clients", "members": "accounts", "posts": "messages",
    "comments": "replies", "employees": "staff", "departments": "units", "events": "hits",
    "articles": "stories", "tags": "labels", "article_tags": "story_labels", "store_sales": "sales_fact",
    "date_dim": "calendar", "item": "product", "store": "shop",
}  # fmt: skip
_STYLES = ("{}", "{}_tbl", "t_{}", "{}_v2")
_COLUMN_STYLES = ("{}", "{}_col", "c_{}", "{}_x")


def mapping(schema: dict[str, dict[str, str]], seed: int) -> dict:
    """A consistent renaming: {"tables": {old: new}, "columns": {old: new}} drawn with ``seed``.

    Example:
        >>> m = mapping({"orders": {"order_id": "bigint"}}, 1)
        >>> sorted(m), m["tables"]["orders"] != "orders" or m["columns"]["order_id"] != "order_id"
        (['columns', 'tables'], True)
    """
    rng = random.Random(seed)
    style, column_style = rng.choice(_STYLES[1:]), rng.choice(_COLUMN_STYLES[1:])
    tables = {t: style.format(_SYNONYMS.get(t, t) if rng.random() < 0.7 else t) for t in schema}
    columns = {c: column_style.format(c) for cols in schema.values() for c in cols}
    return {"tables": tables, "columns": columns}


def rename(sql: str, m: dict) -> str:
    """``sql`` with the mapping's tables and columns renamed (Spark dialect, pretty-printed)."""
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(sql, read="spark")
    ctes = {c.alias for c in tree.find_all(exp.CTE)}
    for table in tree.find_all(exp.Table):
        if table.name in m["tables"] and table.name not in ctes:
            table.set("this", exp.to_identifier(m["tables"][table.name]))
    for column in tree.find_all(exp.Column):
        if column.name in m["columns"]:
            column.set("this", exp.to_identifier(m["columns"][column.name]))
    return tree.sql(dialect="spark", pretty=True)


def renamed_schema(schema: dict[str, dict[str, str]], m: dict) -> dict[str, dict[str, str]]:
    return {m["tables"][t]: {m["columns"][c]: typ for c, typ in cols.items()} for t, cols in schema.items()}


def resolves(sql: str, schema: dict[str, dict[str, str]]) -> bool:
    """Whether every table and column of ``sql`` resolves against ``schema`` (sqlglot's qualifier)."""
    import sqlglot
    from sqlglot import exp
    from sqlglot.optimizer.qualify import qualify

    try:
        tree = sqlglot.parse_one(sql, read="spark")
        ctes = {c.alias for c in tree.find_all(exp.CTE)}
        if any(t.name not in schema and t.name not in ctes for t in tree.find_all(exp.Table)):
            return False  # the qualifier leaves unknown tables alone: they are checked here
        qualify(tree, schema=schema, dialect="spark", validate_qualify_columns=True)
    except Exception:  # noqa: BLE001 - an unknown column is the answer
        return False
    return True


def augment(pairs: list[dict], schema, copies: int) -> tuple[list[dict], int]:
    """``copies`` renamed copies of each pair (same split, same seed_id); returns (copies, rejected).
    ``schema``: table -> column -> type, or a function of the pair giving its database's."""
    out, rejected = [], 0
    schema_of = schema if callable(schema) else (lambda _pair: schema)
    for p in pairs:
        schema = schema_of(p)
        for i in range(copies):
            seed = int(hashlib.sha256(f"{p['pair_id']}:{i}".encode()).hexdigest()[:8], 16)
            m = mapping(schema, seed)
            target = renamed_schema(schema, m)
            try:
                slow, fast = rename(p["slow_sql"], m), rename(p["fast_sql"], m)
            except Exception:  # noqa: BLE001 - sqlglot cannot print it back: no copy
                rejected += 1
                continue
            if not (resolves(slow, target) and resolves(fast, target)):
                rejected += 1
                continue
            out.append({**p, "slow_sql": slow, "fast_sql": fast, "copy_of": p["pair_id"], "copy": i + 1,
                        "schema": target})  # fmt: skip
    return out, rejected


SYSTEM = "You are a Spark SQL performance expert."


def chat_line(user: str, assistant: str) -> str:
    """One JSON Lines record in chat format (system / user / assistant)."""
    return json.dumps({"messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user},
                                    {"role": "assistant", "content": assistant}]}, ensure_ascii=False)  # fmt: skip


def export(rows: list[dict], out: Path, render) -> dict[str, int]:
    """``train.jsonl`` and ``validation.jsonl`` of chat records; ``render(row) -> user turn``."""
    out.mkdir(parents=True, exist_ok=True)
    counts = {"train": 0, "validation": 0}
    with (
        (out / "train.jsonl").open("w", encoding="utf-8") as tr,
        (out / "validation.jsonl").open("w", encoding="utf-8") as va,
    ):
        for row in rows:
            (tr if row["split"] == "train" else va).write(chat_line(render(row), row["fast_sql"]) + "\n")
            counts[row["split"]] += 1
    return counts
