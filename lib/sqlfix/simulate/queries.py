"""Task-level Spark SQL as data engineers write it, composed from a domain's tables.

A task is one scheduled script: CTEs that filter and dedupe facts, multi-way joins to dimensions,
window functions, ``LATERAL VIEW explode``, date arithmetic, CASE buckets, wide GROUP BYs and
comments; 20-150 lines. Shapes and parts are drawn from a seeded ``random.Random``.
"""

from __future__ import annotations

import datetime as dt
import random

from sqlfix.simulate.domains import DOMAINS, SimTable, joinable

PURPOSES = (
    "daily report",
    "weekly dashboard",
    "data quality check",
    "experiment readout",
    "ops monitor",
    "feature table",
)


def compose(rng: random.Random, domain: str | None = None, size: int | None = None) -> str:
    """One task query. ``size`` (1-6) sets how many CTE blocks it has; larger means longer."""
    domain = domain or rng.choice(sorted(DOMAINS))
    tables = DOMAINS[domain]
    facts = [t for t in tables if t.by_role("measure") and t.by_role("time")]
    fact = rng.choice(facts)
    size = size or rng.choice((1, 1, 2, 2, 3, 3, 4, 5, 6))
    day = dt.date(2026, 10, 1) + dt.timedelta(days=rng.randrange(50))
    start = day - dt.timedelta(days=rng.choice((1, 7, 14, 30)))
    lines: list[str] = [
        f"-- {domain}: {rng.choice(PURPOSES)} on {fact.name.split('.')[1]}",
        f"-- owner: team-{rng.choice(('growth', 'bi', 'core', 'risk', 'algo'))}, refreshed {rng.choice(('daily', 'hourly', 'weekly'))}",
    ]
    ctes: list[tuple[str, list[str], list[str]]] = []  # (name, body lines, output columns)
    base_name, base_lines, base_cols = _base_cte(rng, fact, start, day, dedupe=size >= 3 and rng.random() < 0.5)
    ctes.append((base_name, base_lines, base_cols))
    partners = [t for t in tables if t is not fact and joinable(fact, t)]
    rng.shuffle(partners)
    joins = partners[: min(len(partners), rng.choice((1, 1, 2, 3)) if size > 1 else 1)]
    for other in joins[: max(0, size - 2)]:
        ctes.append(_dim_cte(rng, other, day))
    if size >= 3 and fact.by_role("list") and rng.random() < 0.6:
        ctes.append(_explode_cte(rng, fact, base_name, base_cols))
    if size >= 2 and rng.random() < 0.6:
        ctes.append(_window_cte(rng, fact, base_name, base_cols))
    lines.append("WITH " + ctes[0][0] + " AS (")
    lines += ctes[0][1]
    for name, body, _ in ctes[1:]:
        lines.append(f"), {name} AS (")
        lines += body
    lines.append(")")
    lines += _final_select(rng, fact, ctes, joins)
    return "\n".join(lines)


def _base_cte(rng, fact: SimTable, start, day, dedupe: bool):
    a = fact.alias
    keys = [c.name for c in fact.by_role("key")]
    dims = [c.name for c in fact.by_role("dim")]
    measures = [c.name for c in fact.by_role("measure")]
    time_col = fact.by_role("time")[0].name
    lists = [c.name for c in fact.by_role("list")]
    cols = keys + dims + measures + lists
    body = ["  SELECT"]
    out = list(cols)
    for c in cols:
        body.append(f"    {a}.{c},")
    body.append(f"    to_date({a}.{time_col}) AS event_date,")
    body.append(f"    hour({a}.{time_col}) AS event_hour,")
    out += ["event_date", "event_hour"]
    if dedupe:
        body.append(f"    row_number() OVER (PARTITION BY {a}.{keys[0]} ORDER BY {a}.{time_col} DESC) AS rn,")
        out.append("rn")
    body.append(f"    {a}.dt")
    out.append("dt")
    body.append(f"  FROM {fact.name} {a}")
    body.append(f"  WHERE {a}.dt BETWEEN '{start:%Y-%m-%d}' AND '{day:%Y-%m-%d}'")
    if dims and rng.random() < 0.7:
        dim = rng.choice(dims)
        values = ", ".join(
            f"'{v}'" for v in rng.sample(("a", "b", "web", "ios", "android", "paid", "new", "cn", "us"), 3)
        )
        body.append(f"    AND {a}.{dim} {'NOT IN' if rng.random() < 0.3 else 'IN'} ({values})")
    if measures and rng.random() < 0.6:
        body.append(f"    AND {a}.{rng.choice(measures)} > {rng.choice((0, 1, 10))}")
    body.append(f"    AND {a}.{keys[0]} IS NOT NULL")
    name = f"base_{fact.name.split('.')[1]}"
    if dedupe:
        body = ["  SELECT *", "  FROM ("] + ["  " + line for line in body] + ["  ) t", "  WHERE t.rn = 1"]
    return name, body, out


def _dim_cte(rng, table: SimTable, day):
    a = table.alias
    cols = [c.name for c in table.by_role("key", "dim", "measure")]
    body = ["  SELECT"] + [f"    {a}.{c}," for c in cols[:-1]] + [f"    {a}.{cols[-1]}"]
    body += [f"  FROM {table.name} {a}", f"  WHERE {a}.dt = '{day:%Y-%m-%d}'"]
    if table.by_role("time") and rng.random() < 0.5:
        t = table.by_role("time")[0].name
        body.append(f"    AND datediff('{day:%Y-%m-%d}', to_date({a}.{t})) <= {rng.choice((30, 90, 365))}")
    return f"dim_{table.name.split('.')[1]}", body, cols


def _explode_cte(rng, fact: SimTable, base: str, base_cols: list[str]):
    list_col = fact.by_role("list")[0].name
    key = fact.by_role("key")[0].name
    body = [
        "  SELECT",
        f"    b.{key},",
        "    lower(trim(tag)) AS tag,",
        "    count(1) AS tag_cnt",
        f"  FROM {base} b",
        f"  LATERAL VIEW explode(b.{list_col}) tag_tbl AS tag",
        "  WHERE tag IS NOT NULL",
        f"  GROUP BY b.{key}, lower(trim(tag))",
    ]
    return "tags", body, [key, "tag", "tag_cnt"]


def _window_cte(rng, fact: SimTable, base: str, base_cols: list[str]):
    dims = [c.name for c in fact.by_role("dim")] or ["dt"]
    measure = rng.choice([c.name for c in fact.by_role("measure")])
    dim = rng.choice(dims)
    body = [
        "  SELECT",
        f"    b.{dim},",
        "    b.event_date,",
        f"    SUM(b.{measure}) AS day_{measure},",
        f"    SUM(SUM(b.{measure})) OVER (",
        f"      PARTITION BY b.{dim}",
        "      ORDER BY b.event_date",
        f"      ROWS BETWEEN {rng.choice((2, 6, 13))} PRECEDING AND CURRENT ROW",
        f"    ) AS rolling_{measure},",
        f"    LAG(SUM(b.{measure}), 1) OVER (PARTITION BY b.{dim} ORDER BY b.event_date) AS prev_{measure}",
        f"  FROM {base} b",
        f"  GROUP BY b.{dim}, b.event_date",
    ]
    return "daily_trend", body, [dim, "event_date", f"day_{measure}", f"rolling_{measure}", f"prev_{measure}"]


def _final_select(rng, fact: SimTable, ctes, joins: list[SimTable]) -> list[str]:
    base_name, _, base_cols = ctes[0]
    dims = [c.name for c in fact.by_role("dim")]
    measures = [c.name for c in fact.by_role("measure")]
    keys = [c.name for c in fact.by_role("key")]
    group: list[str] = [f"b.{d}" for d in rng.sample(dims, k=min(len(dims), rng.choice((1, 2, 2))))]
    group.append("b.event_date")
    select = list(group)
    joined = []
    for name, _, cols in ctes[1:]:
        if name.startswith("dim_"):
            alias = "d" + str(len(joined) + 1)
            shared = [k for k in keys if k in cols]
            if not shared:
                continue
            joined.append((name, alias, shared[0]))
            extra_dims = [c for c in cols if c not in keys and c not in shared][:2]
            for c in extra_dims[:1]:
                group.append(f"{alias}.{c}")
                select.append(f"{alias}.{c}")
    metrics = [f"COUNT(DISTINCT b.{keys[0]}) AS {keys[0].replace('_id', '')}_cnt"]
    for m in rng.sample(measures, k=min(len(measures), rng.choice((1, 2, 3)))):
        agg = rng.choice(("SUM", "AVG", "MAX"))
        metrics.append(f"{agg}(b.{m}) AS {agg.lower()}_{m}")
    if len(measures) >= 1 and rng.random() < 0.7:
        m = measures[0]
        metrics += [
            "CASE",
            f"  WHEN SUM(b.{m}) >= {rng.choice((1000, 5000, 10000))} THEN 'high'",
            f"  WHEN SUM(b.{m}) >= {rng.choice((100, 500))} THEN 'mid'",
            "  ELSE 'low'",
            "END AS volume_level",
        ]
    if rng.random() < 0.5:
        metrics.append(
            f"ROUND(SUM(b.{measures[0]}) / NULLIF(COUNT(1), 0), {rng.choice((2, 4))}) AS {measures[0]}_per_row"
        )
    lines = ["SELECT"]
    items = select + metrics
    i = 0
    while i < len(items):
        item = items[i]
        if item == "CASE":
            end = items.index("END AS volume_level", i)
            block = items[i : end + 1]
            lines += (
                ["  " + block[0]]
                + ["  " + b for b in block[1:-1]]
                + ["  " + block[-1] + ("," if end < len(items) - 1 else "")]
            )
            i = end + 1
            continue
        lines.append(f"  {item}" + ("," if i < len(items) - 1 else ""))
        i += 1
    lines.append(f"FROM {base_name} b")
    for name, alias, key in joined:
        lines += [f"LEFT JOIN {name} {alias}", f"  ON b.{key} = {alias}.{key}"]
    if any(n == "tags" for n, _, _ in ctes) and rng.random() < 0.7:
        lines += ["LEFT JOIN tags tg", f"  ON b.{keys[0]} = tg.{keys[0]}"]
    lines.append("GROUP BY")
    lines += [f"  {g}" + ("," if j < len(group) - 1 else "") for j, g in enumerate(group)]
    if rng.random() < 0.4:
        lines.append(f"HAVING COUNT(DISTINCT b.{keys[0]}) >= {rng.choice((1, 5, 10))}")
    lines.append(f"ORDER BY {rng.choice(group)}" + (" DESC" if rng.random() < 0.5 else ""))
    if rng.random() < 0.5:
        lines.append(f"LIMIT {rng.choice((100, 500, 1000))}")
    return lines


def compose_adhoc(rng: random.Random, domain: str | None = None) -> str:
    """A short ad-hoc analyst query (6-20 lines): one fact table, maybe one dimension, a filter, an
    aggregate or a window, an order and a limit — the queries people type into a SQL editor."""
    domain = domain or rng.choice(sorted(DOMAINS))
    tables = DOMAINS[domain]
    fact = rng.choice([t for t in tables if t.by_role("measure") and t.by_role("time")])
    a = fact.alias
    dims = [c.name for c in fact.by_role("dim")]
    measures = [c.name for c in fact.by_role("measure")]
    keys = [c.name for c in fact.by_role("key")]
    time_col = fact.by_role("time")[0].name
    day = dt.date(2026, 10, 1) + dt.timedelta(days=rng.randrange(50))
    lines = [
        f"-- {domain}: {rng.choice(('quick look at', 'ad-hoc check of', 'question about'))} {fact.name.split('.')[1]}"
    ]
    partner = next((t for t in rng.sample(tables, len(tables)) if t is not fact and joinable(fact, t)), None)
    shape = rng.choice(("aggregate", "aggregate", "aggregate", "detail", "window"))
    where = [f"WHERE {a}.dt >= '{day - dt.timedelta(days=rng.choice((1, 7, 30))):%Y-%m-%d}'"]
    if dims and rng.random() < 0.5:
        values = ", ".join(f"'{v}'" for v in rng.sample(("web", "ios", "android", "paid", "new", "cn", "us"), 2))
        where.append(f"  AND {a}.{rng.choice(dims)} IN ({values})")
    if shape == "detail":
        cols = rng.sample(keys + dims + measures, k=min(4, len(keys + dims + measures)))
        lines += ["SELECT"] + [f"  {a}.{c}," for c in cols] + [f"  to_date({a}.{time_col}) AS event_date"]
        lines += [f"FROM {fact.name} {a}", *where, f"ORDER BY {a}.{time_col} DESC", f"LIMIT {rng.choice((20, 100))}"]
        return "\n".join(lines)
    group = [f"{a}.{d}" for d in rng.sample(dims, k=min(len(dims), rng.choice((1, 1, 2))))] or [
        f"to_date({a}.{time_col})"
    ]
    select = list(group)
    join = []
    if partner is not None and rng.random() < 0.5:
        key = next(k.name for k in fact.by_role("key") if k.name in {c.name for c in partner.cols})
        p = partner.alias if partner.alias != a else partner.alias + "2"
        extra = next((c.name for c in partner.by_role("dim")), None)
        join = [f"JOIN {partner.name} {p}", f"  ON {a}.{key} = {p}.{key}"]
        if extra:
            group.append(f"{p}.{extra}")
            select.append(f"{p}.{extra}")
    m = rng.choice(measures)
    if shape == "window":
        metrics = [f"SUM({a}.{m}) AS total_{m}",
                   f"ROW_NUMBER() OVER (ORDER BY SUM({a}.{m}) DESC) AS rank_{m}"]  # fmt: skip
    else:
        metrics = ["COUNT(*) AS n", f"{rng.choice(('SUM', 'AVG', 'MAX'))}({a}.{m}) AS agg_{m}"]
        if rng.random() < 0.4:
            metrics.append(f"ROUND(AVG({a}.{m}), 2) AS avg_{m}")
    items = select + metrics
    lines += ["SELECT"] + [f"  {x}" + ("," if i < len(items) - 1 else "") for i, x in enumerate(items)]
    lines += [f"FROM {fact.name} {a}", *join, *where, "GROUP BY " + ", ".join(group)]
    if shape == "aggregate" and rng.random() < 0.3:
        lines.append(f"HAVING COUNT(*) >= {rng.choice((2, 5, 10))}")
    lines.append(f"ORDER BY {metrics[0].split(' AS ')[1]} DESC")
    lines.append(f"LIMIT {rng.choice((10, 20, 50))}")
    return "\n".join(lines)
