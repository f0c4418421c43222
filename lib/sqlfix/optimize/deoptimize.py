"""De-optimisers: deterministic rules that turn a good query into a realistic, equivalent, slower one.

Each rule is one anti-pattern people write (``PATTERNS``), registered like the mutators: it reads a
``Source`` (sql.source), finds its shape, and returns text edits, so the slow query keeps the good
one's formatting. Equivalence and slowness are not assumed here: verification runs both on every database
instance. ``select_with_quotas`` draws a set where no pattern and no domain exceeds a share (Quill had 93 %
of one pattern).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass

from sqlfix.optimize.queries import PARTITION_COLUMNS
from sqlfix.sql.source import Edit, Source, splice

Rule = Callable[[Source], "list[Edit] | None | Iterator[list[Edit]]"]  # one site, or a generator of sites


@dataclass(frozen=True)
class Deoptimizer:
    pattern: str
    rule: Rule
    doc: str
    spark_undoes: str | None = None  # why Spark's optimizer makes the slow form as fast (then it is not drawn)

    def apply(self, sql: str) -> str | None:
        """The slow query of the rule's first site, or None."""
        out = self.variants(sql, 1)
        return out[0] if out else None

    def variants(self, sql: str, sites: int) -> list[str]:
        """The distinct slow queries of the rule's first ``sites`` sites (a rule written as a generator
        yields one edit list per site: each UNION ALL, each built-in call, each EXISTS ...)."""
        out: list[str] = []
        try:
            found = self.rule(Source(sql))
            for edits in (found if isinstance(found, Iterator) else [found]):
                slow = splice(sql, edits) if edits else None
                if slow and slow != sql and slow not in out:
                    out.append(slow)
                if len(out) >= sites:
                    break
        except (ValueError, KeyError):
            pass
        return out


PATTERNS: dict[str, Deoptimizer] = {}

# The database the query being slowed down reads: (table -> column -> type, its partition columns); None:
# the generated domains (``databases.schema``, ``queries.PARTITION_COLUMNS``). Set by ``deoptimize``.
_DATABASE: ContextVar[tuple[dict, set] | None] = ContextVar("sqlfix_deoptimize_database", default=None)

# Python UDFs the verification sessions register: the slow twins of built-ins.
PYTHON_UDFS: dict[str, tuple[Callable, str]] = {
    "py_upper": (lambda s: None if s is None else s.upper(), "string"),
    "py_lower": (lambda s: None if s is None else s.lower(), "string"),
    "py_length": (lambda s: None if s is None else len(s), "int"),  # Spark counts characters, as len() does
    "py_trim": (lambda s: None if s is None else s.strip(" "), "string"),  # Spark's TRIM(x) strips spaces only
}


def deoptimizer(pattern: str, spark_undoes: str | None = None):
    def register(rule: Rule) -> Rule:
        if pattern in PATTERNS:
            raise ValueError(f"pattern {pattern} registered twice")
        PATTERNS[pattern] = Deoptimizer(pattern, rule, (rule.__doc__ or "").strip().splitlines()[0], spark_undoes)
        return rule

    return register


def _exp():
    from sqlglot import exp

    return exp


@deoptimizer("union_for_union_all")
def union_all_to_union(src):
    """UNION where UNION ALL would do: the branches never overlap, but Spark now de-duplicates."""
    toks = src.tokens
    for i, t in enumerate(toks[:-1]):
        if t.kind == "UNION" and toks[i + 1].kind == "ALL":
            yield [Edit(t.end, toks[i + 1].end, "")]


@deoptimizer("distinct_over_unique")
def distinct_over_key(src):
    """SELECT DISTINCT over rows a key column already makes unique: Spark does not know the key, so it
    shuffles and de-duplicates every row."""
    exp = _exp()
    root = src.tree
    if not isinstance(root, exp.Select) or root.args.get("group") is not None or root.args.get("distinct"):
        return None
    if any(f.find_ancestor(exp.Window) is None and f.sql_name().lower() in ("sum", "count", "avg", "min", "max")
           for f in root.find_all(exp.AggFunc)) or root.args.get("joins"):  # fmt: skip
        return None
    first = root.expressions[0].unalias() if root.expressions else None
    if not (isinstance(first, exp.Column) and first.name.lower().endswith(("_id", "_sk"))):
        return None
    head = src.tokens[src.token_at(src.span(root)[0])]
    if head.kind != "SELECT":
        return None
    return [Edit(head.end, head.end, " DISTINCT")]


def _correlation(subquery_select, outer_aliases: set[str]):
    """(inner column, outer column) of a subquery whose WHERE is one equality between them."""
    exp = _exp()
    where = subquery_select.args.get("where")
    if where is None or not isinstance(where.this, exp.EQ):
        return None
    a, b = where.this.left, where.this.right
    if not (isinstance(a, exp.Column) and isinstance(b, exp.Column)):
        return None
    inner_aliases = {t.alias_or_name for t in subquery_select.find_all(exp.Table)}
    if a.table in inner_aliases and b.table in outer_aliases:
        return a, b
    if b.table in inner_aliases and a.table in outer_aliases:
        return b, a
    return None


def _from(select):
    """The FROM clause of a select (sqlglot names the argument ``from_`` or ``from``)."""
    return select.args.get("from_") or select.args.get("from")


def _outer_aliases(src: Source, node) -> set[str]:
    exp = _exp()
    select = node.find_ancestor(exp.Select)
    return {t.alias_or_name for t in _from(select).find_all(exp.Table)} if select and _from(select) else set()


@deoptimizer("not_in_for_not_exists")
def not_exists_to_not_in(src):
    """NOT IN (SELECT ...) instead of NOT EXISTS: a null-aware anti-join Spark runs as a nested loop."""
    exp = _exp()
    for node in src.tree.find_all(exp.Not):
        if not isinstance(node.this, exp.Exists):
            continue
        select = node.this.this
        pair = _correlation(select, _outer_aliases(src, node))
        if pair is None or _from(select) is None:
            continue
        inner, outer = pair
        start = src.span(select)[0]
        e = max(i for i, t in enumerate(src.tokens) if t.kind == "EXISTS" and t.start < start)
        if e == 0 or src.tokens[e - 1].kind != "NOT" or src.tokens[e + 1].kind != "L_PAREN":
            continue
        k = e - 1
        from_text = src.text(_from(select).this)
        new = f"{src.text(outer)} NOT IN (SELECT {src.text(inner)} FROM {from_text})"
        end = src.tokens[src.match(e + 1)].end
        yield [Edit(src.tokens[k].start, end, new)]


@deoptimizer("count_for_exists")
def exists_to_count(src):
    """(SELECT COUNT(*) ...) > 0 instead of EXISTS: every match is counted, not just the first found."""
    exp = _exp()
    for node in src.tree.find_all(exp.Exists):
        if isinstance(node.parent, exp.Not):
            continue
        select = node.this
        if not isinstance(select, exp.Select) or len(select.expressions) != 1:
            continue
        start = src.span(select)[0]
        i = max((k for k, t in enumerate(src.tokens[:-1]) if t.kind == "EXISTS" and t.start < start
                 and src.tokens[k + 1].kind == "L_PAREN"), default=None)  # fmt: skip
        if i is None:
            continue
        close = src.tokens[src.match(i + 1)]
        item = select.expressions[0]
        yield [Edit(src.tokens[i].start, src.tokens[i + 1].start, ""), Edit(*src.span(item), "COUNT(*)"),
               Edit(close.end, close.end, " > 0")]  # fmt: skip


@deoptimizer("function_on_partition_column")
def range_to_function_on_partition(src):
    """A date range on a partition column written through date_format(): no partition pruning."""
    exp = _exp()
    for cmp in src.tree.find_all(exp.GT, exp.GTE, exp.LT, exp.LTE, exp.EQ):
        col, lit = cmp.left, cmp.right
        if not (isinstance(col, exp.Column) and col.name.lower() in _partition_columns()):
            continue
        if not (isinstance(lit, exp.Cast) and isinstance(lit.this, exp.Literal) and lit.this.is_string):
            continue
        col_text = src.text(col)
        yield [Edit(*src.span(col), f"date_format({col_text}, 'yyyy-MM-dd')"),
               Edit(*src.span(lit), f"'{lit.this.name}'")]  # fmt: skip


@deoptimizer(
    "correlated_subquery_for_join",
    spark_undoes="Spark decorrelates a scalar subquery on a key into the same left outer join",
)
def join_to_correlated_scalar(src):
    """A correlated scalar subquery per row instead of a LEFT JOIN to a dimension on its key."""
    exp = _exp()
    root = src.tree
    if not isinstance(root, exp.Select):
        return None
    for join in root.args.get("joins") or []:
        if join.side != "LEFT" or not isinstance(join.args.get("on"), exp.EQ) or not isinstance(join.this, exp.Table):
            continue
        alias = join.this.alias_or_name
        on = join.args["on"]
        dim_key = on.left if on.left.table == alias else on.right
        fact_key = on.right if dim_key is on.left else on.left
        uses = [c for c in root.find_all(exp.Column) if c.table == alias and c.find_ancestor(exp.Join) is None]
        if len(uses) != 1 or uses[0].find_ancestor(exp.Where) is not None:
            continue
        table = src.text(join.this)
        scalar = f"(SELECT {src.text(uses[0])} FROM {table} WHERE {src.text(dim_key)} = {src.text(fact_key)})"
        j_start = src.span(join)[0]
        j_tok = src.token_at(j_start)
        while j_tok > 0 and src.tokens[j_tok - 1].kind in ("LEFT", "OUTER", "JOIN"):
            j_tok -= 1
        start = src.tokens[j_tok].start
        while start > 0 and src.sql[start - 1] in " \t\n":
            start -= 1
        yield [Edit(*src.span(uses[0]), scalar), Edit(start, src.span(on)[1], "")]


@deoptimizer("python_udf_for_builtin")
def builtin_to_python_udf(src):
    """A Python UDF where a built-in exists (py_upper for upper): rows leave the JVM for Python.

    Each call of ``upper``, ``lower``, ``length`` or a plain ``trim`` (one argument) is a site, in text order.

    Example:
        >>> list(builtin_to_python_udf(Source("SELECT TRIM(c.name), LENGTH(c.name) FROM shop.customers c")))
        [[Edit(start=7, end=11, text='py_trim')], [Edit(start=21, end=27, text='py_length')]]
    """
    exp = _exp()
    names = []  # (start, end) of each call's name
    for f in src.tree.find_all(exp.Upper, exp.Lower, exp.Length, exp.Trim):
        if "start" in f.meta:
            names.append((f.meta["start"], f.meta["end"] + 1))
        elif isinstance(f, exp.Trim) and not (f.args.get("position") or f.args.get("expression")):
            i = src.token_at(src.span(f.this)[0])  # sqlglot keeps no position for TRIM: the tokens before x
            if i >= 2 and src.tokens[i - 1].kind == "L_PAREN":
                names.append((src.tokens[i - 2].start, src.tokens[i - 2].end))
    for start, end in sorted(names):
        udf = f"py_{src.sql[start:end].lower()}"
        if udf in PYTHON_UDFS:
            yield [Edit(start, end, udf)]


def _from_table(src: Source):
    """The root query's FROM table (a plain ``db.table alias``), or None."""
    exp = _exp()
    root = src.tree
    if not isinstance(root, exp.Select) or _from(root) is None or not isinstance(_from(root).this, exp.Table):
        return None
    return _from(root).this


@deoptimizer(
    "cross_join_plus_filter", spark_undoes="Spark turns a comma join with its WHERE equality into the inner join"
)
def join_to_comma_and_where(src):
    """The join written as a comma (cross) join with its condition in WHERE."""
    exp = _exp()
    root = src.tree
    joins = root.args.get("joins") or [] if isinstance(root, exp.Select) else []
    if len(joins) != 1 or joins[0].side or joins[0].kind or not isinstance(joins[0].args.get("on"), exp.EQ):
        return None
    join = joins[0]
    on = join.args["on"]
    j = src.token_at(src.span(join.this)[0]) - 1
    if src.tokens[j].kind != "JOIN":
        return None
    start = src.tokens[j].start
    while start > 0 and src.sql[start - 1] in " \t\n":
        start -= 1
    edits = [Edit(start, src.span(on)[1], f", {src.text(join.this)}")]
    cond = src.text(on)
    where = root.args.get("where")
    if where is not None:
        end = src.span(where.this)[1]
        edits.append(Edit(end, end, f" AND {cond}"))
    else:
        after = [t for t in src.tokens if t.depth == 0 and t.kind in ("GROUP_BY", "ORDER_BY", "LIMIT", "HAVING")]
        at = after[0].start if after else len(src.sql.rstrip())
        edits.append(Edit(at, at, f"WHERE {cond}\n" if after else f"\nWHERE {cond}"))
    return edits


@deoptimizer("order_by_in_subquery")
def sorted_derived_table(src):
    """The FROM table read through a subquery that sorts it (an order nothing above uses).

    Only where the query neither joins, aggregates nor filters by a subquery: Spark drops a sort under a
    join or an aggregate (measured: 0.71x to 0.94x, never kept), not under a plain select. A table without
    an alias gets its own name as one.

    Example:
        >>> sql = "SELECT order_id, status FROM shop.orders WHERE status = 'paid'"
        >>> print(splice(sql, sorted_derived_table(Source(sql))))
        SELECT order_id, status FROM (SELECT * FROM shop.orders ORDER BY order_id) orders WHERE status = 'paid'
        >>> sorted_derived_table(Source("SELECT o.status, COUNT(*) FROM shop.orders o GROUP BY o.status"))
    """
    exp = _exp()
    table, root = _from_table(src), src.tree
    if table is None or root.args.get("joins") or root.args.get("group") or root.find(exp.Exists, exp.Subquery):
        return None
    if any(f.find_ancestor(exp.Window) is None for f in root.find_all(exp.AggFunc)) or root.find(exp.In, bfs=False) \
            and any(i.args.get("query") for i in root.find_all(exp.In)):  # fmt: skip
        return None
    name = ".".join(p for p in (table.db, table.name) if p)
    start = _name_start(src, table)
    end = src.name_span(table.this)[1] if "start" in table.this.meta else None
    if end is None:
        return None
    first_column = next(iter(_columns_of_table(table.name)), None)
    if first_column is None:
        return None
    alias = "" if table.alias else f" {table.name}"
    return [Edit(start, end, f"(SELECT * FROM {name} ORDER BY {first_column}){alias}")]


@deoptimizer("select_star_subquery", spark_undoes="Spark prunes the columns a SELECT * subquery reads but nobody uses")
def star_derived_table(src):
    """The FROM table read through SELECT * of a subquery (every column of a wide table, in the text)."""
    table = _from_table(src)
    if table is None or not table.alias or "start" not in table.this.meta:
        return None
    name = ".".join(p for p in (table.db, table.name) if p)
    start, end = _name_start(src, table), src.name_span(table.this)[1]
    return [Edit(start, end, f"(SELECT * FROM {name})")]


def _name_start(src: Source, table) -> int:
    """Where a table's (qualified) name starts in the text.

    Example:
        >>> src = Source("SELECT 1 FROM shop.orders o")
        >>> _name_start(src, _from_table(src))
        14
    """
    return min(src.span(part)[0] for part in (table.args.get("catalog"), table.args.get("db"), table.this) if part)


_AGGREGATES = ("sum", "avg", "min", "max", "count")


def _plain_select(src: Source):
    """The root select and its FROM table when the query reads one aliased table (no join, GROUP BY,
    ORDER BY or LIMIT), else (None, None)."""
    table, root = _from_table(src), src.tree
    if table is None or not table.alias or any(root.args.get(a) for a in ("joins", "group", "order", "limit")):
        return None, None
    return root, table


def _table_name(table) -> str:
    return ".".join(p for p in (table.db, table.name) if p)


def _free_alias(src: Source, stem: str) -> str:
    exp = _exp()
    taken = {t.alias_or_name.lower() for t in src.tree.find_all(exp.Table)}
    return next(f"{stem}{i or ''}" for i in range(100) if f"{stem}{i or ''}" not in taken)


def _window_items(root):
    """(select item, window) of the root's aliased window items with one PARTITION BY column."""
    exp = _exp()
    for item in root.expressions:
        w = item.this if isinstance(item, exp.Alias) else None
        parts = w.args.get("partition_by") or [] if isinstance(w, exp.Window) else []
        if w is None or w.args.get("spec") or len(parts) != 1 or not isinstance(parts[0], exp.Column):
            continue
        yield item, w


def _end(src: Source) -> int:
    return len(src.sql.rstrip().rstrip(";").rstrip())


def _where_text(src: Source, where) -> str:
    """A plain select's WHERE condition: to the end of the query (a node's span can stop short of a
    trailing NULL, which carries no position)."""
    return src.sql[src.span(where.this)[0] : _end(src)]


def _realias(src: Source, start: int, end: int, old: str, new: str) -> str:
    """The text in [start, end) with the qualifier ``old.`` written ``new.``."""
    edits = [Edit(t.start - start, t.end - start, new) for i, t in enumerate(src.tokens[:-1])
             if start <= t.start < end and t.text == old and src.tokens[i + 1].kind == "DOT"]  # fmt: skip
    return splice(src.sql[start:end], edits)


@deoptimizer("self_join_for_window")
def window_to_self_join(src):
    """A join to the table's own GROUP BY where a window aggregate would do: the table is read twice."""
    exp = _exp()
    root, table = _plain_select(src)
    if root is None:
        return None
    for item, w in _window_items(root):
        agg = w.this
        if w.args.get("order") or not isinstance(agg, exp.AggFunc) or agg.sql_name().lower() not in _AGGREGATES:
            continue
        key, where, alias = w.args["partition_by"][0], root.args.get("where"), _free_alias(src, "w")
        inner = (f"SELECT {src.text(key)}, {src.text(agg)} AS {item.alias} FROM {_table_name(table)} {table.alias}"
                 + (f" WHERE {_where_text(src, where)}" if where is not None else "") + f" GROUP BY {src.text(key)}")  # fmt: skip
        end = src.span(table)[1]
        yield [Edit(*src.span(item), f"{alias}.{item.alias}"),
               Edit(end, end, f"\nJOIN ({inner}) {alias} ON {alias}.{key.name} <=> {src.text(key)}")]  # fmt: skip


@deoptimizer("self_join_for_rank")
def rank_to_self_join(src):
    """RANK() computed by a self-join that counts the rows ranked above each row: quadratic per partition."""
    exp = _exp()
    root, table = _plain_select(src)
    if root is None:
        return None
    where = root.args.get("where")
    for item, w in _window_items(root):
        order = w.args.get("order")
        keys = order.expressions if order is not None else []
        if not isinstance(w.this, exp.Anonymous | exp.Func) or w.this.sql_name().upper() != "RANK" or len(keys) != 1:
            continue
        col = keys[0].this
        others = [e for e in root.expressions if e is not item]
        if not isinstance(col, exp.Column) or not all(isinstance(e, exp.Column) for e in others):
            continue
        conjuncts = (list(where.this.flatten()) if isinstance(where.this, exp.And) else [where.this]) if where else []
        not_null = any(isinstance(n, exp.Not) and isinstance(n.this, exp.Is) and n.this.this == col
                       and isinstance(n.this.expression, exp.Null) for n in conjuncts)  # fmt: skip
        key_column = any(e.name.lower().endswith(("_id", "_sk")) for e in others)
        if not (not_null and key_column):  # NULLs rank last; rows are grouped back by a key
            continue
        other = _free_alias(src, "h")
        part, above = w.args["partition_by"][0], ">" if keys[0].args.get("desc") else "<"
        tail = _end(src)
        on = f"{other}.{part.name} <=> {src.text(part)} AND {other}.{col.name} {above} {src.text(col)}"
        if where is not None:
            theirs = _realias(src, src.span(where.this)[0], tail, table.alias, other)
            on += f" AND ({theirs})" if isinstance(where.this, exp.Or) else f" AND {theirs}"
        end = src.span(table)[1]
        yield [Edit(*src.span(w), f"COUNT({other}.{col.name}) + 1"),
               Edit(end, end, f"\nLEFT JOIN {_table_name(table)} {other} ON {on}"),
               Edit(tail, tail, "\nGROUP BY " + ", ".join(src.text(e) for e in others))]  # fmt: skip


def _group_keys(root) -> list | None:
    """The root's GROUP BY keys as expressions, ordinals (``GROUP BY 1``) and select-item aliases resolved
    to the items they name; None for ROLLUP, CUBE, GROUPING SETS, GROUP BY ALL or an ordinal out of range."""
    exp = _exp()
    group = root.args.get("group")
    if group is None or not group.expressions or any(group.args.get(a) for a in ("rollup", "cube", "grouping_sets",
                                                                                  "all", "totals")):  # fmt: skip
        return None
    items = [e.unalias() for e in root.expressions]
    aliases = {e.alias.lower(): e.unalias() for e in root.expressions if isinstance(e, exp.Alias)}
    keys = []
    for k in group.expressions:
        if isinstance(k, exp.Literal) and k.is_int:
            if not 0 < int(k.name) <= len(items):
                return None
            keys.append(items[int(k.name) - 1])
        elif isinstance(k, exp.Column) and not k.table and k.name.lower() in aliases:
            keys.append(aliases[k.name.lower()])
        else:
            keys.append(k)
    return keys


@deoptimizer("window_for_group_by")
def group_by_to_window(src):
    """SELECT DISTINCT over window aggregates where GROUP BY would do: every row is shuffled and sorted per
    key and kept until the de-duplication, where GROUP BY aggregates each partition before the shuffle.

    Every grouping key must be a select item (so DISTINCT keeps the groups apart) and every aggregate a plain
    SUM, AVG, MIN, MAX or COUNT; ordinals and aliases in GROUP BY stand for their select items.

    Example:
        >>> sql = "SELECT o.status, DATE(o.ts) AS d, COUNT(*) AS n FROM orders o GROUP BY 1, d ORDER BY n"
        >>> print(splice(sql, next(group_by_to_window(Source(sql)))))
        SELECT DISTINCT o.status, DATE(o.ts) AS d, COUNT(*) OVER (PARTITION BY o.status, DATE(o.ts)) AS n FROM orders o ORDER BY n
        >>> list(group_by_to_window(Source("SELECT o.status, COUNT(*) AS n FROM orders o GROUP BY o.status, o.day")))
        []
    """
    exp = _exp()
    root = src.tree
    if not isinstance(root, exp.Select) or any(root.args.get(a) for a in ("having", "distinct", "qualify")):
        return None
    keys = _group_keys(root)
    items = [e.unalias() for e in root.expressions]
    if keys is None or any(all(k != item for item in items) for k in keys) or root.find(exp.Window):
        return None
    aggs = [a for item in items for a in item.find_all(exp.AggFunc)]
    if not aggs or any(not isinstance(a, exp.Sum | exp.Avg | exp.Min | exp.Max | exp.Count) or a.find(exp.Distinct)
                       or isinstance(a.parent, exp.Filter) for a in aggs):  # fmt: skip
        return None
    order = root.args.get("order")
    if order is not None and order.find(exp.AggFunc):
        return None
    head = src.tokens[src.token_at(src.span(root)[0])]
    by = [t for t in src.tokens if t.depth == 0 and t.kind == "GROUP_BY"]
    if head.kind != "SELECT" or len(by) != 1:
        return None
    start = by[0].start
    while start > 0 and src.sql[start - 1] in " \t\n":
        start -= 1
    over = " OVER (PARTITION BY " + ", ".join(src.text(k) for k in keys) + ")"
    yield [Edit(head.end, head.end, " DISTINCT"), *(Edit(src.span(a)[1], src.span(a)[1], over) for a in aggs),
           Edit(start, max(src.span(k)[1] for k in root.args["group"].expressions), "")]  # fmt: skip


@deoptimizer("repeated_subquery")
def measures_to_repeated_subqueries(src):
    """Each measure in a subquery of its own, joined on the keys: the same scan and GROUP BY, repeated."""
    exp = _exp()
    root = src.tree
    if not isinstance(root, exp.Select) or root.args.get("group") is None:
        return None
    if any(root.args.get(a) for a in ("having", "order", "limit", "distinct")):
        return None
    keys = [e for e in root.expressions if isinstance(e, exp.Column)]
    measures = [e for e in root.expressions if isinstance(e, exp.Alias) and e.find(exp.AggFunc) is not None]
    if len(measures) < 2 or len(keys) + len(measures) != len(root.expressions):
        return None
    heads = [t for t in src.tokens if t.depth == 0 and t.kind == "FROM"]
    if not heads:
        return None
    rest = src.sql[heads[0].start :].strip()
    first, second = _free_alias(src, "m"), _free_alias(src, "n")
    key_text = ", ".join(src.text(k) for k in keys)
    one = f"(SELECT {key_text}, {src.text(measures[0])} {rest}) {first}"
    two = f"(SELECT {key_text}, {', '.join(src.text(m) for m in measures[1:])} {rest}) {second}"
    outer = ", ".join(f"{first}.{e.name}" if isinstance(e, exp.Column)
                      else f"{first if e is measures[0] else second}.{e.alias}" for e in root.expressions)  # fmt: skip
    on = " AND ".join(f"{second}.{k.name} <=> {first}.{k.name}" for k in keys)
    return [Edit(0, len(src.sql), f"SELECT {outer}\nFROM {one}\nJOIN {two} ON {on}")]


def _columns_of_table(name: str) -> list[str]:
    from sqlfix.optimize.databases import schema

    database = _DATABASE.get()
    return list((database[0] if database else schema()).get(name, {}))


def _partition_columns() -> set[str]:
    database = _DATABASE.get()
    return database[1] if database else PARTITION_COLUMNS


def regions(sql: str) -> list[tuple[int, int]]:
    """The spans of ``sql`` a rule is applied to, each a query of its own: the query, or, where it has a WITH
    clause, the main query after it; and the body of every CTE, derived table and set-operation branch
    (a real query's slow spot is as often inside a CTE as at its top). Unparseable text has none.

    Example:
        >>> sql = "WITH a AS (SELECT * FROM t) SELECT x.k FROM a JOIN (SELECT k FROM u) x ON a.k = x.k"
        >>> [sql[s:e] for s, e in regions(sql)]
        ['SELECT x.k FROM a JOIN (SELECT k FROM u) x ON a.k = x.k', 'SELECT k FROM u', 'SELECT * FROM t']
    """
    exp = _exp()
    src = Source(sql)
    try:
        tree = src.tree
        tokens = src.tokens
    except Exception:  # noqa: BLE001 - sqlglot's parse and tokenize errors: nothing to slow down
        return []
    if tree is None:
        return []
    end = _end(src)
    main = (0, end)
    if (tree.args.get("with_") or tree.args.get("with")) is not None:
        first = next((t for t in tokens if t.depth == 0 and t.kind == "SELECT"), None)
        main = (first.start, end) if first is not None else None
    out = [main] if main else []
    for node in tree.find_all(exp.Select):
        if node is tree or not isinstance(node.parent, exp.CTE | exp.Subquery | exp.Union):
            continue
        try:
            span = src.span(node)
        except (ValueError, KeyError):
            continue
        if span not in out:
            out.append(span)
    return out


def deoptimize(sql: str, include_undone: bool = False, schema: dict | None = None,
               partition_columns: set[str] | None = None, sites: int = 1) -> list[tuple[str, str]]:  # fmt: skip
    """Every (pattern, slow query) the registered rules make of one good query: per rule and region
    (``regions``: the query, each CTE body, derived table and set-operation branch), the rule's first
    ``sites`` sites, each a slow query of its own (``include_undone``: also the patterns Spark's optimizer
    undoes). ``schema`` (table -> column -> type) and ``partition_columns`` describe the database it reads
    (default: the generated domains).

    Example:
        >>> sql = "SELECT e.id FROM ev e WHERE e.day >= DATE '2024-01-01'"
        >>> [p for p, _ in deoptimize(sql)], [p for p, _ in deoptimize(sql, schema={}, partition_columns={"day"})]
        ([], ['function_on_partition_column'])
    """
    token = _DATABASE.set((schema or {}, set(partition_columns or ())) if schema is not None else None)
    try:
        out = []
        for start, end in regions(sql):
            body = sql[start:end]
            for pattern, d in PATTERNS.items():
                if d.spark_undoes and not include_undone:
                    continue
                for slow in d.variants(body, sites):
                    if (pattern, sql[:start] + slow + sql[end:]) not in out:  # a branch that is the query
                        out.append((pattern, sql[:start] + slow + sql[end:]))
        return out
    finally:
        _DATABASE.reset(token)


def select_with_quotas(
    items: list[dict], n: int, max_share: float = 0.25, by: tuple[str, ...] = ("pattern", "domain")
) -> list[dict]:
    """At most ``n`` items, none of whose ``by`` values holds more than ``max_share`` of the selection:
    round-robin over patterns (then domains), skipping a value at its cap. Where the items run out before
    ``n``, the draw is repeated for the smaller count, so the share holds of what is returned too (down to
    one item per value).

    Example:
        >>> items = [{"pattern": p, "domain": d, "i": i} for i, (p, d) in enumerate(
        ...     [("a", "x")] * 6 + [("b", "y")] * 2 + [("c", "x"), ("d", "z"), ("e", "y")])]
        >>> [(s["pattern"], s["domain"]) for s in select_with_quotas(items, 8, 0.5)]
        [('a', 'x'), ('b', 'y'), ('c', 'x'), ('d', 'z'), ('e', 'y'), ('a', 'x'), ('b', 'y'), ('a', 'x')]
    """
    while True:
        out = _round_robin(items, n, max(1, math.floor(max_share * n)), by)
        if len(out) == n or len(out) == 0:
            return out
        n = len(out)


def _round_robin(items: list[dict], n: int, cap: int, by: tuple[str, ...]) -> list[dict]:
    pools: dict[str, list[dict]] = defaultdict(list)
    for item in items:
        pools[item[by[0]]].append(item)
    counts: dict[str, Counter] = {key: Counter() for key in by}
    out: list[dict] = []
    while len(out) < n:
        progressed = False
        for key in sorted(pools):
            pool = pools[key]
            pick = next((i for i, it in enumerate(pool) if all(counts[b][it[b]] < cap for b in by)), None)
            if pick is None:
                continue
            item = pool.pop(pick)
            out.append(item)
            for b in by:
                counts[b][item[b]] += 1
            progressed = True
            if len(out) == n:
                break
        if not progressed:
            break
    return out
