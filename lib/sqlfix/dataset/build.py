"""Kept pairs of approved batches -> deduplicated, leakage-free train/eval samples with the fixer prompt.

Leakage: pairs of the same task, and pairs whose fixed SQL is near-identical (the same after dropping
comments, case and whitespace), form one group (union-find); a group lies wholly on one side. Generated pairs (``source`` oriented) carry their corpus query's task and fixed SQL,
so a query and its variants fall in one group. The eval set
is a natural sample (``eval_fraction`` of the groups, by a seeded hash) topped up to ``per_category``
samples for each category that has enough groups (never more than half of a category's groups), so the
long tail is measured too.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass

from sqlfix.dataset.prompt import render_prompt
from sqlfix.sql.normalize import normalized
from sqlfix.sql.references import referenced_tables

_STRING = re.compile(r"'(?:[^'\\]|\\.)*'")
_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])")


def dedupe(rows: list[dict]) -> tuple[list[dict], int]:
    """First of each (bug, fix) pair by pair_id, exact or after ``normalized``; returns (rows, dropped)."""
    seen, out = set(), []
    for row in sorted(rows, key=lambda r: r["pair_id"]):
        key = (normalized(row["bug_sql"]), normalized(row["fixed_sql"]))
        if key in seen:
            continue
        seen.add(key)
        out.append(row)
    return out, len(rows) - len(out)


def leak_groups(rows: list[dict]) -> list[str]:
    """A group id per row: rows sharing a task or a normalised fixed SQL are in one group.

    Example:
        >>> leak_groups([{"task_id": "t1", "fixed_sql": "SELECT 1"}, {"task_id": "t2", "fixed_sql": "select  1"},
        ...              {"task_id": "t2", "fixed_sql": "SELECT 2"}, {"task_id": "t3", "fixed_sql": "SELECT 3"}])
        ['task:t1', 'task:t1', 'task:t1', 'task:t3']
    """
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    keys = [
        (f"task:{r['task_id']}", "fix:" + hashlib.sha1(normalized(r["fixed_sql"]).encode()).hexdigest()) for r in rows
    ]
    for task, fix in keys:
        union(task, fix)
    name: dict[str, str] = {}  # a component is named by its smallest task
    for task, _ in keys:
        root = find(task)
        name[root] = min(name.get(root, task), task)
    return [name[find(task)] for task, _ in keys]


@dataclass(frozen=True)
class SplitConfig:
    eval_fraction: float = 0.1
    per_category: int = 5
    seed: int = 0
    holdout_databases: tuple[str, ...] = ()  # pairs reading any of these databases are eval-only
    generated: bool = True  # the builder also takes verified generated pairs
    eval_sources: tuple[str, ...] = ()  # only these sources in the eval set (empty: all); others there are left out


def databases(sql: str | None) -> set[str]:
    """The databases of the qualified tables ``sql`` reads.

    Example:
        >>> sorted(databases("SELECT * FROM hr.staff s JOIN shop.orders o ON s.id = o.id JOIN t ON 1 = 1"))
        ['hr', 'shop']
    """
    return {name.split(".")[0] for name in referenced_tables(sql or "") if "." in name}


def split(rows: list[dict], cfg: SplitConfig) -> list[str]:
    """'train' or 'eval' per row; whole leak groups move together."""
    groups = leak_groups(rows)
    members: dict[str, list[int]] = defaultdict(list)
    for i, g in enumerate(groups):
        members[g].append(i)

    def draw(g: str) -> float:
        return int(hashlib.sha256(f"{cfg.seed}:{g}".encode()).hexdigest()[:12], 16) / 16**12

    side = {g: "eval" if draw(g) < cfg.eval_fraction else "train" for g in members}
    held = set(cfg.holdout_databases)
    if held:  # a held-out domain is never trained on: its groups are wholly eval, outside the budget below
        for g, idx in members.items():
            if any(databases(rows[i].get("bug_sql")) & held for i in idx):
                side[g] = "eval"
    by_category: dict[str, list[str]] = defaultdict(list)
    for g, idx in members.items():
        for category in {rows[i].get("category_l3") for i in idx}:
            by_category[category].append(g)
    for category, gs in sorted(by_category.items(), key=lambda kv: str(kv[0])):
        have = sum(1 for g in gs if side[g] == "eval" for i in members[g] if rows[i].get("category_l3") == category)
        budget = len(gs) // 2 - sum(side[g] == "eval" for g in gs)
        for g in sorted((g for g in gs if side[g] == "train"), key=lambda g: (len(members[g]), draw(g))):
            if have >= cfg.per_category or budget <= 0:
                break
            side[g] = "eval"
            budget -= 1
            have += sum(rows[i].get("category_l3") == category for i in members[g])
    return [side[g] for g in groups]


def anonymize(
    texts: list[str | None], strings: bool = True, numbers: bool = False, identifiers: dict | None = None
) -> list[str | None]:
    """Replace literals consistently across the texts of one sample (schema, bug, error, fix).

    Example:
        >>> anonymize(["WHERE s = 'paid' AND n > 10", "`s` = 'paid'", "WHERE s = 'paid' AND n > 12"], numbers=True)
        ["WHERE s = 'str_1' AND n > 1", "`s` = 'str_1'", "WHERE s = 'str_1' AND n > 2"]
    """
    mapping: dict[tuple[str, str], str] = {}
    counts = {"str": 0, "num": 0}

    def sub(kind: str, match: re.Match) -> str:
        token = match.group(0)
        if (kind, token) not in mapping:
            counts[kind] += 1
            mapping[(kind, token)] = f"'str_{counts[kind]}'" if kind == "str" else str(counts[kind])
        return mapping[(kind, token)]

    out = []
    for text in texts:
        if text is None:
            out.append(None)
            continue
        if strings:
            text = _STRING.sub(lambda m: sub("str", m), text)
        if numbers:
            text = _NUMBER.sub(lambda m: sub("num", m), text)
        for name, alias in (identifiers or {}).items():
            text = re.sub(rf"\b{re.escape(name)}\b", alias, text)
        out.append(text)
    return out


def samples(rows: list[dict], cfg: SplitConfig, anon: dict | None = None) -> tuple[list[dict], int]:
    """The dataset rows (with ``split``, ``prompt``, ``target``, ``leak_group``) and how many duplicates went."""
    rows, dropped = dedupe(rows)
    sides, groups = split(rows, cfg), leak_groups(rows)
    out = []
    for row, side, group in zip(rows, sides, groups, strict=True):
        if side == "eval" and cfg.eval_sources and (row.get("source") or "mined") not in cfg.eval_sources:
            continue  # never moved to train: its group is on the eval side, and the split must not leak
        schema, bug, error, fix = row.get("schema_ddl"), row["bug_sql"], row.get("error_message"), row["fixed_sql"]
        if anon and anon.get("enabled"):
            schema, bug, error, fix = anonymize(
                [schema, bug, error, fix],
                anon.get("strings", True),
                anon.get("numbers", False),
                anon.get("identifiers"),
            )
        out.append({
            "sample_id": row["pair_id"], "split": side, "prompt": render_prompt(schema, bug, error), "target": fix,
            "bug_sql": bug, "fixed_sql": fix, "error_message": error, "schema_ddl": schema,
            "category_l1": row.get("category_l1"), "category_l3": row.get("category_l3"), "signal": row.get("signal"),
            "changed_lines": row.get("changed_lines"), "task_id": row.get("task_id"), "leak_group": group,
            "source": row.get("source") or "mined", "batch_id": row.get("batch_id"),
        })  # fmt: skip
    return out, dropped
