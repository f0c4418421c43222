"""A query as mutators and de-optimisers see it: its text, its tokens, its AST and its tables' columns.

Mutators choose *what* to change on the sqlglot AST and change it in the *text*: every edit is a splice
at token offsets of the original string, so comments, formatting and keyword case stay byte-identical
and the line diff is exactly the lines the edit touched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

from sqlfix.sql.ddl import read_ddl
from sqlfix.sql.features import parse


@dataclass(frozen=True)
class Tok:
    kind: str  # sqlglot token type name: VAR, L_PAREN, COMMA, STRING, ...
    text: str
    start: int
    end: int  # exclusive
    depth: int  # parenthesis depth before the token


@dataclass(frozen=True)
class Edit:
    start: int
    end: int  # exclusive
    text: str


def splice(sql: str, edits: list[Edit]) -> str:
    """``sql`` with non-overlapping edits applied.

    Example:
        >>> splice("SELECT a FROM t", [Edit(7, 8, "b"), Edit(14, 15, "u")])
        'SELECT b FROM u'
    """
    out, pos = [], 0
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        if edit.start < pos:
            raise ValueError("overlapping edits")
        out.append(sql[pos : edit.start])
        out.append(edit.text)
        pos = edit.end
    out.append(sql[pos:])
    return "".join(out)


def parse_schema(ddl: str | None, type_of=None) -> dict[str, dict[str, str]]:
    """Table -> column -> lower-case Spark type (or ``type_of(sqlglot type node)``), in column order, from
    CREATE TABLE statements (``sql.ddl.read_ddl``; statements that define no table are skipped).

    Example:
        >>> parse_schema("CREATE TABLE s.t (a BIGINT, b ARRAY<STRING>) USING parquet")
        {'s.t': {'a': 'bigint', 'b': 'array<string>'}}
    """
    return {t.name: t.columns for t in read_ddl(ddl, type_of)[0]}


def table_key(table) -> str:
    """A sqlglot table node's name as ``parse_schema`` keys it: ``db.name`` (or ``name``), lower-case.

    >>> import sqlglot
    >>> table_key(sqlglot.parse_one("SELECT 1 FROM Shop.Orders o").find(sqlglot.exp.Table))
    'shop.orders'
    """
    return ".".join(p for p in (table.db, table.name) if p).lower()


_NAMES = ("VAR", "CAST", "TRY_CAST")
_SELECT_HEAD = ("SELECT", "DISTINCT")
NUMERIC = re.compile(r"^(tinyint|smallint|int|integer|bigint|long|float|double|decimal|numeric)\b")


@dataclass
class Source:
    """One parsed query. ``schema``: table -> column -> type (``parse_schema``)."""

    sql: str
    schema: dict[str, dict[str, str]] = field(default_factory=dict)

    @cached_property
    def tree(self):
        return parse(self.sql)

    @cached_property
    def tokens(self) -> list[Tok]:
        from sqlglot.dialects.spark import Spark

        out, depth = [], 0
        for t in Spark().tokenize(self.sql):
            kind = t.token_type.name
            if kind == "R_PAREN":
                depth -= 1
            out.append(Tok(kind, t.text, t.start, t.end + 1, depth))
            if kind == "L_PAREN":
                depth += 1
        return out

    # ------------------------------------------------------------------ positions
    def token_at(self, start: int) -> int:
        for i, t in enumerate(self.tokens):
            if t.start == start:
                return i
        raise KeyError(start)

    def string_arguments(self, calls) -> list[tuple[str, int, Tok]]:
        """(function, argument position, token) of each string literal that is a whole argument of a call to
        one of ``calls`` (lower-case names as written). The token's ``text`` is the literal's value; its quotes
        are the first and last characters of its span.

        >>> [(f, i, t.text) for f, i, t in Source("SELECT date_format(d, 'yyyy-MM'), f('x') FROM t")
        ...  .string_arguments({"date_format"})]
        [('date_format', 1, 'yyyy-MM')]
        """
        toks, out = self.tokens, []
        calls_open: list[list] = []  # per open parenthesis: [the name before it, commas seen at its depth]
        for i, tok in enumerate(toks):
            if tok.kind == "L_PAREN":
                calls_open.append([toks[i - 1].text.lower() if i > 0 else "", 0])
            elif tok.kind == "R_PAREN":
                if calls_open:
                    calls_open.pop()
            elif tok.kind == "COMMA" and calls_open:
                calls_open[-1][1] += 1
            elif tok.kind == "STRING" and calls_open and calls_open[-1][0] in calls and i + 1 < len(toks) \
                    and toks[i - 1].kind in ("L_PAREN", "COMMA") and toks[i + 1].kind in ("COMMA", "R_PAREN"):  # fmt: skip
                raw = self.sql[tok.start : tok.end]
                if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
                    out.append((calls_open[-1][0], calls_open[-1][1], tok))
        return out

    def match(self, i: int) -> int:
        """Index of the parenthesis matching the one at token ``i``."""
        t = self.tokens[i]
        if t.kind == "L_PAREN":
            for j in range(i + 1, len(self.tokens)):
                if self.tokens[j].kind == "R_PAREN" and self.tokens[j].depth == t.depth:
                    return j
        elif t.kind == "R_PAREN":
            for j in range(i - 1, -1, -1):
                if self.tokens[j].kind == "L_PAREN" and self.tokens[j].depth == t.depth:
                    return j
        raise ValueError("no matching parenthesis")

    def token_span(self, node) -> tuple[int, int]:
        """First and last token index of an AST node: its leaves' positions, widened to balanced
        parentheses, to a call's name and parentheses, and to a window's OVER (...)."""
        from sqlglot import exp

        metas = [n.meta for n in node.walk() if "start" in n.meta]
        if not metas:
            raise ValueError(f"no position for {type(node).__name__}")
        toks = self.tokens
        first = self.token_at(min(m["start"] for m in metas))
        last = self.token_at(max(m["start"] for m in metas))
        wrapped = isinstance(node, exp.Func | exp.Window | exp.Paren | exp.Subquery | exp.Tuple)
        wider = exp.Alias | exp.Case | exp.Func | exp.Window | exp.Paren | exp.Subquery | exp.Not | exp.Is | exp.Connector
        for child in node.iter_expressions():  # children whose own span is wider than their leaves
            if isinstance(child, wider) and any("start" in n.meta for n in child.walk()):
                f, lst = self.token_span(child)
                first, last = min(first, f), max(last, lst)
        while True:
            before = (first, last)
            for j in range(first, last + 1):  # widen to balanced parentheses
                if toks[j].kind in ("L_PAREN", "R_PAREN"):
                    k = self.match(j)
                    first, last = min(first, k), max(last, k)
            if isinstance(node, exp.Select | exp.Subquery) and first > 0 and toks[first - 1].kind in _SELECT_HEAD:
                first -= 1  # SELECT [DISTINCT] keywords carry no position of their own
                continue
            own = isinstance(node, exp.Func) and "start" in node.meta
            if wrapped and not own and first > 0 and toks[first - 1].kind == "L_PAREN":
                if self.match(first - 1) == last + 1:
                    first, last = first - 1, last + 1  # (a + b), (SELECT ...)
                elif isinstance(node, exp.Func) and first > 1 and toks[first - 2].kind in _NAMES:
                    first, last = first - 2, max(last, self.match(first - 1))  # CAST(x AS INT)
            if toks[first].kind == "L_PAREN" and first > 0 and toks[first - 1].kind in _NAMES \
                    and toks[first - 1].end == toks[first].start:  # fmt: skip
                first -= 1  # a call's name before its parenthesis
            if first + 1 < len(toks) and toks[first].kind in _NAMES and toks[first + 1].kind == "L_PAREN":
                last = max(last, self.match(first + 1))
            if isinstance(node, exp.Cast) and isinstance(node.this, exp.Literal) and first > 0 \
                    and toks[first - 1].kind.startswith(("DATE", "TIMESTAMP")):  # fmt: skip
                first -= 1  # a typed literal: DATE '2024-01-01'
            if isinstance(node, exp.Case):
                first, last = self._case_bounds(first, last)
            if isinstance(node, exp.Window) and last + 2 < len(toks) and toks[last + 1].kind == "OVER":
                last = self.match(last + 2)
            if isinstance(node, exp.Not) and first > 0 and toks[first - 1].kind == "NOT":
                first -= 1  # NOT x: the keyword carries no position
            if isinstance(node, exp.Is) and last + 2 < len(toks) and toks[last + 1].kind == "IS":
                j = last + 3 if toks[last + 2].kind == "NOT" else last + 2  # x IS [NOT] NULL / TRUE / FALSE
                if j < len(toks) and toks[j].kind in ("NULL", "TRUE", "FALSE"):
                    last = j
            if (first, last) == before:
                return first, last

    @cached_property
    def _case_ends(self) -> dict[int, int]:
        """Token index of each CASE -> its END (matched like parentheses)."""
        stack, out = [], {}
        for i, t in enumerate(self.tokens):
            if t.kind == "CASE":
                stack.append(i)
            elif t.kind == "END" and stack:
                out[stack.pop()] = i
        return out

    def _case_bounds(self, first: int, last: int) -> tuple[int, int]:
        """The innermost CASE ... END around tokens [first, last]."""
        around = [(c, e) for c, e in self._case_ends.items() if c <= first and e >= last]
        return max(around) if around else (first, last)

    def span(self, node) -> tuple[int, int]:
        """Character offsets [start, end) of an AST node in the text."""
        first, last = self.token_span(node)
        return self.tokens[first].start, self.tokens[last].end

    def text(self, node) -> str:
        start, end = self.span(node)
        return self.sql[start:end]

    def name_span(self, node) -> tuple[int, int]:
        """Offsets of a node's own name (an identifier, a function name, a literal)."""
        if "start" not in node.meta:
            raise ValueError(f"{type(node).__name__} has no position of its own")
        return node.meta["start"], node.meta["end"] + 1

    # ------------------------------------------------------------------ scope
    @cached_property
    def aliases(self) -> dict[str, str]:
        """Alias (and bare table name) -> qualified table name, for the tables of the schema."""
        from sqlglot import exp

        out = {}
        for table in self.tree.find_all(exp.Table):
            name = table_key(table)
            if name in self.schema:
                out[table.name.lower()] = name
                if table.alias:
                    out[table.alias.lower()] = name
        return out

    def column_type(self, column) -> str | None:
        """The schema type of a column node (qualified, or unique among the query's tables)."""
        name = column.name.lower()
        if column.table:
            table = self.aliases.get(column.table.lower())
            return self.schema.get(table, {}).get(name) if table else None
        types = [cols[name] for t, cols in self.schema.items() if t in self.aliases.values() and name in cols]
        return types[0] if len(types) == 1 else None

    def item_type(self, item) -> str | None:
        """The type of a select item (alias or not) where the schema (a column) or a CAST says it, lower-case.

        >>> src = Source("SELECT o.id, CAST(o.v AS DECIMAL(10,2)) AS v, upper(o.s) FROM t o", {"t": {"id": "bigint"}})
        >>> [src.item_type(i) for i in src.tree.expressions]
        ['bigint', 'decimal(10, 2)', None]
        """
        from sqlglot import exp

        value = item.unalias()
        if isinstance(value, exp.Column):
            return self.column_type(value)
        if isinstance(value, exp.Cast | exp.TryCast):
            return value.to.sql("spark").lower()
        return None

    def columns_of(self, qualifier: str) -> dict[str, str]:
        return self.schema.get(self.aliases.get(qualifier.lower(), ""), {})

    def scope_columns(self) -> dict[str, list[tuple[str, str]]]:
        """Column name -> [(qualifier, type)] over the query's tables (qualifier: alias or table name)."""
        from sqlglot import exp

        out: dict[str, list[tuple[str, str]]] = {}
        for table in self.tree.find_all(exp.Table):
            name = table_key(table)
            for col, typ in self.schema.get(name, {}).items():
                out.setdefault(col, []).append((table.alias or table.name, typ))
        return out
