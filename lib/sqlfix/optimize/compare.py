"""Are two query results the same? Multiset equality with a floating-point tolerance.

Rows are compared as a multiset (duplicates count, order does not) unless the query orders *and* limits
its result, where the order is part of the answer. Floats are equal within a relative tolerance; NULL
equals NULL (as SQL's set operations treat it). Both results must have the same number of columns; column
names do not matter (a rewrite may alias differently).
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def _cell_key(value):
    """A sort key that puts every value in a total order (None first, numbers by value, others by text)."""
    if value is None:
        return (0, 0.0, "")
    if isinstance(value, bool):
        return (1, float(value), "")
    if isinstance(value, int | float):
        if isinstance(value, float) and math.isnan(value):
            return (1, math.inf, "nan")
        return (1, round(float(value), 6), "")
    return (2, 0.0, str(value))


def _cells_equal(a, b, rel: float, abs_: float) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) or isinstance(b, float):
        if not isinstance(a, int | float) or not isinstance(b, int | float):
            return False
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)
    return a == b


def same_result(
    a: Sequence[Sequence], b: Sequence[Sequence], ordered: bool = False, rel: float = 1e-6, abs_: float = 1e-9
) -> tuple[bool, str]:
    """(equal, why not) for two results given as sequences of rows.

    Example:
        >>> same_result([(1, "x"), (1, "x"), (None, "y")], [(None, "y"), (1, "x"), (1, "x")])
        (True, '')
        >>> same_result([(1, "x"), (1, "x")], [(1, "x")])
        (False, 'row count 2 vs 1')
        >>> same_result([(0.1 + 0.2,)], [(0.3,)])
        (True, '')
        >>> same_result([(1,), (2,)], [(2,), (1,)], ordered=True)
        (False, 'row 0 differs')
    """
    if len(a) != len(b):
        return False, f"row count {len(a)} vs {len(b)}"
    if a and len(a[0]) != len(b[0]):
        return False, f"column count {len(a[0])} vs {len(b[0])}"
    if not ordered:
        key = lambda row: tuple(_cell_key(v) for v in row)  # noqa: E731
        a, b = sorted(a, key=key), sorted(b, key=key)
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        if len(x) != len(y) or not all(_cells_equal(p, q, rel, abs_) for p, q in zip(x, y, strict=True)):
            return False, f"row {i} differs"
    return True, ""


def orders_and_limits(sql: str) -> bool:
    """Whether the outermost query both orders and limits (then the order is part of the result).

    Example:
        >>> orders_and_limits("SELECT a FROM t ORDER BY a LIMIT 5"), orders_and_limits("SELECT a FROM t ORDER BY a")
        (True, False)
    """
    import sqlglot

    tree = sqlglot.parse_one(sql, read="spark")
    return tree.args.get("order") is not None and tree.args.get("limit") is not None
