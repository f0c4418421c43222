"""Error features: what a correct query contains, so that a given bug can be injected into it.

One vocabulary (``FEATURES``) shared by the taxonomy (each leaf declares the features a query needs for
its bug, ``conf/taxonomy.yaml``), the corpus (each query's features, extracted once when it enters
``sql_corpus``) and recall (candidates of a leaf are the queries holding all of its features). A feature
is read off the sqlglot AST of the query, parsed once (Spark dialect).
"""

from __future__ import annotations

from collections.abc import Callable

FEATURES: dict[str, str] = {
    "select": "a SELECT query",
    "multi_item_select": "a SELECT list of two or more items",
    "insert": "an INSERT INTO a table of a query's result (generation puts a query in this form: write_form)",
    "aliased_item": "a SELECT item with an explicit AS alias followed by another item",
    "qualified_column": "a column qualified by its table or alias (o.user_id)",
    "table": "a qualified table reference (db.table)",
    "join": "a JOIN",
    "join_on": "a JOIN ... ON with an equality",
    "join_using": "a JOIN ... USING (...)",
    "where": "a WHERE clause",
    "where_comparison": "a WHERE comparison of a column against a literal",
    "between": "a BETWEEN ... AND ... condition",
    "group_by": "a GROUP BY clause",
    "group_by_multi": "a GROUP BY of two or more expressions",
    "group_by_position": "a GROUP BY by select-list position (GROUP BY 1)",
    "aggregate": "an aggregate function (SUM, COUNT, AVG, MIN, MAX, ...)",
    "having": "a HAVING clause",
    "order_by": "an ORDER BY of the query",
    "limit": "a LIMIT",
    "window": "a window function (OVER)",
    "window_ordered": "a ranking or offset window function with ORDER BY (row_number, rank, lag, lead, ...)",
    "window_offset": "lag or lead over an ordered window",
    "window_partitioned": "a ranking or offset window function with PARTITION BY and ORDER BY",
    "window_aggregate": "an aggregate over a window (SUM(...) OVER)",
    "cast": "a CAST",
    "case": "a CASE expression with ELSE",
    "coalesce": "COALESCE, NVL or IFNULL",
    "union": "a UNION / INTERSECT / EXCEPT",
    "cte": "a WITH clause",
    "cte_multi": "a WITH clause of two or more CTEs",
    "in_subquery": "IN (SELECT ...)",
    "subquery": "a subquery",
    "explode": "explode / posexplode / inline",
    "lateral_view": "LATERAL VIEW",
    "struct_field": "a struct field access (col.field)",
    "string_literal": "a string literal",
    "typed_literal": "a typed literal (DATE '...', TIMESTAMP '...', X'...')",
    "function": "a scalar function call",
    "fixed_arity_call": "a call of a function that needs two or more arguments (date_add, datediff, nvl, ...)",
    "where_last": "a query that ends with its WHERE clause, the last condition a comparison",
    "arithmetic": "arithmetic (+, -, *, /)",
    "comparison": "a comparison (=, <, >, ...)",
    "distinct": "SELECT DISTINCT or an aggregate over DISTINCT",
    "comment": "a comment",
}

AGGREGATES = frozenset({"sum", "count", "avg", "min", "max", "stddev", "variance", "collect_list", "collect_set",
                        "approx_count_distinct", "percentile_approx", "first", "last", "count_if", "max_by",
                        "min_by", "bool_and", "bool_or", "any_value", "median"})  # fmt: skip
RANKING = frozenset({"row_number", "rank", "dense_rank", "percent_rank", "cume_dist", "ntile", "lag", "lead"})
MIN_TWO_ARGS = frozenset({"date_add", "date_sub", "datediff", "date_format", "nvl", "ifnull", "split", "substr",
                          "substring", "instr", "add_months", "date_trunc", "trunc", "pow", "power", "mod",
                          "array_contains", "nullif", "regexp_replace", "months_between", "left", "right", "locate",
                          "concat_ws", "element_at", "regexp_extract", "pmod", "greatest", "least",
                          "get_json_object", "to_char", "lpad", "rpad"})  # fmt: skip

# Calls whose second argument is a datetime pattern, and calls whose second argument is a regular expression:
# Spark compiles both when the first row is formatted or matched, not when the query is analysed.
DATETIME_PATTERN_CALLS = frozenset({"date_format", "to_date", "to_timestamp", "to_timestamp_ntz", "to_timestamp_ltz",
                                    "try_to_timestamp", "try_to_date", "from_unixtime", "unix_timestamp",
                                    "to_unix_timestamp"})  # fmt: skip
REGEX_CALLS = frozenset({"regexp_extract", "regexp_extract_all", "regexp_replace", "regexp_substr", "regexp_count",
                         "regexp_instr"})  # fmt: skip


def _checks() -> dict[str, Callable]:
    from sqlglot import exp

    def funcs(tree):
        for node in tree.find_all(exp.Func):
            yield node, function_name(node)

    def aggregate(tree) -> bool:
        return any(name in AGGREGATES for _, name in funcs(tree))

    def window_named(tree, names) -> bool:
        return any(
            function_name(w.this) in names and w.args.get("order") is not None for w in tree.find_all(exp.Window)
        )

    def where_comparison(tree) -> bool:
        for where in tree.find_all(exp.Where):
            for cmp in where.find_all(exp.EQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.NEQ):
                if isinstance(cmp.left, exp.Column) and isinstance(cmp.right, exp.Literal):
                    return True
        return False

    def aliased_item(tree) -> bool:
        for select in tree.find_all(exp.Select):
            items = select.expressions
            if any(isinstance(e, exp.Alias) for e in items[:-1]):
                return True
        return False

    def written(tree, node) -> str:  # the name as the query spells it (sqlglot renames date_add, nvl, ...)
        text = tree.meta.get("source") or ""
        return text[node.meta["start"] : node.meta["end"] + 1].lower() if "start" in node.meta else ""

    def where_last(tree) -> bool:
        if not isinstance(tree, exp.Select) or tree.args.get("where") is None:
            return False
        if any(tree.args.get(k) for k in ("group", "having", "order", "limit", "qualify", "windows")):
            return False
        cond = tree.args["where"].this
        last = cond.expression if isinstance(cond, exp.And) else cond
        return isinstance(last, exp.EQ | exp.GT | exp.GTE | exp.LT | exp.LTE | exp.NEQ)

    def group_keys(tree) -> list:
        return [g.expressions for g in tree.find_all(exp.Group)]

    return {
        "select": lambda t: t.find(exp.Select) is not None,
        "multi_item_select": lambda t: any(len(s.expressions) >= 2 for s in t.find_all(exp.Select)),
        "insert": lambda t: isinstance(t, exp.Insert),
        "aliased_item": aliased_item,
        "qualified_column": lambda t: any(c.table for c in t.find_all(exp.Column)),
        "table": lambda t: any(tb.db for tb in t.find_all(exp.Table)),
        "join": lambda t: t.find(exp.Join) is not None,
        "join_on": lambda t: any(isinstance(j.args.get("on"), exp.EQ) for j in t.find_all(exp.Join)),
        "join_using": lambda t: any(j.args.get("using") for j in t.find_all(exp.Join)),
        "where": lambda t: t.find(exp.Where) is not None,
        "where_comparison": where_comparison,
        "between": lambda t: t.find(exp.Between) is not None,
        "group_by": lambda t: bool(group_keys(t)),
        "group_by_multi": lambda t: any(len(k) >= 2 for k in group_keys(t)),
        "group_by_position": lambda t: any(isinstance(e, exp.Literal) for k in group_keys(t) for e in k),
        "aggregate": aggregate,
        "having": lambda t: t.find(exp.Having) is not None,
        "order_by": lambda t: any(isinstance(o.parent, exp.Select) for o in t.find_all(exp.Order)),
        "limit": lambda t: t.find(exp.Limit) is not None,
        "window": lambda t: t.find(exp.Window) is not None,
        "window_ordered": lambda t: window_named(t, RANKING),
        "window_offset": lambda t: window_named(t, {"lag", "lead"}),
        "window_partitioned": lambda t: any(
            function_name(w.this) in RANKING and w.args.get("order") is not None and w.args.get("partition_by")
            for w in t.find_all(exp.Window)
        ),
        "window_aggregate": lambda t: any(function_name(w.this) in AGGREGATES for w in t.find_all(exp.Window)),
        "cast": lambda t: t.find(exp.Cast) is not None,
        "case": lambda t: any(c.args.get("default") is not None for c in t.find_all(exp.Case)),
        "coalesce": lambda t: t.find(exp.Coalesce) is not None,
        "union": lambda t: t.find(exp.SetOperation) is not None,
        "cte": lambda t: t.find(exp.With) is not None,
        "cte_multi": lambda t: any(len(w.expressions) >= 2 for w in t.find_all(exp.With)),
        "in_subquery": lambda t: any(i.args.get("query") is not None for i in t.find_all(exp.In)),
        "subquery": lambda t: t.find(exp.Subquery) is not None or any(i.args.get("query") for i in t.find_all(exp.In)),
        "explode": lambda t: any(name in {"explode", "posexplode", "inline", "explode_outer"} for _, name in funcs(t)),
        "lateral_view": lambda t: t.find(exp.Lateral) is not None,
        "struct_field": lambda t: (
            any(isinstance(d.this, exp.Column) for d in t.find_all(exp.Dot))
            or any(len(c.parts) >= 3 for c in t.find_all(exp.Column))
        ),
        "string_literal": lambda t: any(lit.is_string for lit in t.find_all(exp.Literal)),
        "typed_literal": lambda t: t.find(exp.HexString) is not None or any(
            isinstance(c.this, exp.Literal) and c.this.is_string for c in t.find_all(exp.Cast)
        ),
        "function": lambda t: any(name not in AGGREGATES for _, name in funcs(t)),
        "fixed_arity_call": lambda t: any(written(t, f) in MIN_TWO_ARGS for f in t.find_all(exp.Func)),
        "where_last": where_last,
        "arithmetic": lambda t: t.find(exp.Add, exp.Sub, exp.Mul, exp.Div) is not None,
        "comparison": lambda t: t.find(exp.EQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.NEQ) is not None,
        "distinct": lambda t: t.find(exp.Distinct) is not None,
        "comment": lambda t: any(n.comments for n in t.walk()),
    }


_CHECKS: dict[str, Callable] = {}


def function_name(node) -> str:
    """The lower-case SQL name of a function node (``Anonymous`` functions by their written name)."""
    from sqlglot import exp

    if isinstance(node, exp.Anonymous):
        return str(node.name).lower()
    if isinstance(node, exp.Func):
        return node.sql_name().lower()
    return ""


def parse(sql: str):
    """The sqlglot tree of one query (Spark dialect); raises ``ValueError`` when it is not one statement."""
    import sqlglot
    from sqlglot.errors import SqlglotError

    try:
        trees = [t for t in sqlglot.parse(sql, read="spark") if t is not None]
    except SqlglotError as exc:
        raise ValueError(f"unparseable: {str(exc).splitlines()[0][:200]}") from exc
    if len(trees) != 1:
        raise ValueError(f"expected one statement, found {len(trees)}")
    return trees[0]


def tree_features(tree, sql: str | None = None) -> list[str]:
    """The features a parsed query holds, in vocabulary order (``sql``: its text, for names as written)."""
    if sql is not None:
        tree.meta["source"] = sql
    if not _CHECKS:
        _CHECKS.update(_checks())
    return [name for name, check in _CHECKS.items() if check(tree)]


def features(sql: str) -> list[str]:
    """The features of one query (parsed once).

    Example:
        >>> features("SELECT o.user_id, SUM(o.amount) AS total FROM shop.orders o GROUP BY o.user_id")
        ['select', 'multi_item_select', 'qualified_column', 'table', 'group_by', 'aggregate']
    """
    return tree_features(parse(sql), sql)
