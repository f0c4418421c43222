"""Deterministic mutators: one named rule per taxonomy leaf that turns a correct query into a buggy one.

A mutator reads a ``Source`` (text, tokens, AST, the tables' columns), picks a site with its ``random``
and returns the text edits of the bug, or ``None`` where the query offers no site. It never decides
whether the bug really fails: Spark's analyzer does that (``generation.verify``), and the classifier
decides which leaf the error is in. ``MUTATORS`` is the ordered registry; ``tests/fixtures/mutators.yaml``
holds each one's input/expected cases, walked by one test.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from sqlfix.sql.diff import changed_lines, close_names
from sqlfix.sql.features import (
    AGGREGATES,
    DATETIME_PATTERN_CALLS,
    MIN_TWO_ARGS,
    RANKING,
    REGEX_CALLS,
    function_name,
)
from sqlfix.sql.names import backquoted, is_identifier
from sqlfix.sql.source import NUMERIC, Edit, Source, splice, table_key

Rule = Callable[[Source, random.Random], "list[Edit] | None"]


@dataclass(frozen=True)
class Mutator:
    name: str
    leaf: str  # the taxonomy leaf its bug is meant to land in
    rule: Rule
    doc: str

    def apply(self, source: Source, rng: random.Random) -> str | None:
        """The buggy text, or None when the query has no site for this bug (or the edit changes nothing)."""
        edits = self.rule(source, rng)
        if not edits:
            return None
        out = splice(source.sql, edits)
        return out if out != source.sql else None


MUTATORS: dict[str, Mutator] = {}


def mutator(leaf: str, name: str | None = None):
    def register(rule: Rule) -> Rule:
        key = name or rule.__name__
        if key in MUTATORS:
            raise ValueError(f"mutator {key} registered twice")
        MUTATORS[key] = Mutator(key, leaf, rule, (rule.__doc__ or "").strip().splitlines()[0])
        return rule

    return register


def for_leaf(leaf: str) -> list[Mutator]:
    return [m for m in MUTATORS.values() if m.leaf == leaf]


# ---------------------------------------------------------------------------------------------- helpers
def _exp():
    from sqlglot import exp

    return exp


def _typo(word: str, rng: random.Random, avoid: set[str] = frozenset()) -> str | None:
    """A misspelling of ``word`` (drop, swap or double a letter) that is not in ``avoid``."""
    if len(word) < 3:
        return None
    for _ in range(8):
        i = rng.randrange(1, len(word) - 1)
        kind = rng.choice(("drop", "swap", "double"))
        if kind == "drop":
            out = word[:i] + word[i + 1 :]
        elif kind == "swap":
            out = word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]
        else:
            out = word[:i] + word[i] + word[i:]
        if out != word and out.lower() not in avoid:
            return out
    return None


def _choice(rng: random.Random, items: list):
    return rng.choice(items) if items else None


def _kw(original: str, new: str) -> str:
    """``new`` in the letter case of ``original``."""
    return new.upper() if original.isupper() else new.lower() if original.islower() else new


def _root_select(src: Source):
    exp = _exp()
    tree = src.tree
    return tree if isinstance(tree, exp.Select) else None


def _selects(src: Source) -> list:
    return list(src.tree.find_all(_exp().Select))


def _clause_token(src: Source, kind: str, start: int, end: int) -> int | None:
    """Index of the first token of ``kind`` at the depth of offset ``start`` within [start, end)."""
    toks = src.tokens
    first = next((i for i, t in enumerate(toks) if t.start >= start), None)
    if first is None:
        return None
    depth = toks[first].depth
    for i in range(first, len(toks)):
        t = toks[i]
        if t.start >= end:
            return None
        if t.kind == kind and t.depth == depth:
            return i
    return None


def _delete_with_space_before(src: Source, start: int, end: int) -> Edit:
    """Delete [start, end) and the blanks before it (a clause on its own line takes its line break)."""
    s = start
    while s > 0 and src.sql[s - 1] in " \t":
        s -= 1
    if s > 0 and src.sql[s - 1] == "\n" and (end >= len(src.sql) or src.sql[end] in "\n;"):
        s -= 1
    return Edit(s, end, "")


def _remove_item(src: Source, items: list, index: int) -> list[Edit]:
    """Remove one element of a comma-separated list (with one of its commas)."""
    start, end = src.span(items[index])
    if index + 1 < len(items):
        nxt, _ = src.span(items[index + 1])
        return [Edit(start, nxt, "")]
    prev_end = src.span(items[index - 1])[1]
    return [Edit(prev_end, end, "")]


def _family(typ: str | None) -> str | None:
    if typ is None:
        return None
    if NUMERIC.match(typ):
        return "number"
    if typ.startswith(("date", "timestamp")):
        return "datetime"
    if typ.startswith(("array", "map", "struct")):
        return "complex"
    return typ


def _columns(src: Source, node=None) -> list:
    return list((node or src.tree).find_all(_exp().Column))


# ---------------------------------------------------------------------------------------------- syntax
@mutator("syntax.dialect.select_top")
def limit_to_top(src, rng):
    """T-SQL habit: LIMIT n becomes SELECT TOP n (in the query, a CTE or a subquery)."""
    exp = _exp()
    sites = []
    for select in _selects(src):
        limit = select.args.get("limit")
        if not isinstance(limit, exp.Limit) or not isinstance(limit.expression, exp.Literal):
            continue
        start, end = src.span(select)
        if select.args.get("with_") is not None:  # the query's own SELECT comes after its CTEs
            start = src.span(select.args["with_"])[1]
        head = next((k for k, t in enumerate(src.tokens) if t.start >= start), None)
        if head is None or src.tokens[head].kind != "SELECT":
            continue
        i = _clause_token(src, "LIMIT", src.tokens[head].start, end)
        if i is not None:
            sites.append((head, i, limit))
    site = _choice(rng, sites)
    if site is None:
        return None
    head, i, limit = site
    after = head + 1 if src.tokens[head + 1].kind == "DISTINCT" else head
    n_start, n_end = src.name_span(limit.expression)
    top = _kw(src.tokens[head].text, "TOP") + " " + src.sql[n_start:n_end] + " "
    return [Edit(src.tokens[after].end + 1, src.tokens[after].end + 1, top),
            _delete_with_space_before(src, src.tokens[i].start, n_end)]  # fmt: skip


@mutator("syntax.dialect.limit_offset_comma")
def limit_offset_comma(src, rng):
    """MySQL habit: LIMIT n becomes LIMIT 0, n."""
    exp = _exp()
    limit = src.tree.find(exp.Limit)
    if limit is None or not isinstance(limit.expression, exp.Literal) or limit.expression.is_string:
        return None
    start, _ = src.name_span(limit.expression)
    return [Edit(start, start, "0, ")]


@mutator("syntax.dialect.bracket_identifier")
def bracket_identifier(src, rng):
    """T-SQL habit: a column written as [name]."""
    exp = _exp()
    root = _root_select(src)
    cols = [c for e in (root.expressions if root else []) for c in e.find_all(exp.Column)]
    col = _choice(rng, [c for c in cols if "start" in c.this.meta])
    if col is None:
        return None
    start, end = src.name_span(col.this)
    return [Edit(start, end, f"[{src.sql[start:end].strip('`')}]")]


@mutator("syntax.punctuation.unbalanced_parenthesis")
def drop_closing_paren(src, rng):
    """A function call loses its closing parenthesis."""
    exp = _exp()
    calls = [f for f in src.tree.find_all(exp.Func) if "start" in f.meta and f.args]
    sites = []
    for f in calls:
        i = src.token_at(f.meta["start"])
        if i + 1 < len(src.tokens) and src.tokens[i + 1].kind == "L_PAREN":
            j = src.match(i + 1)
            if j > i + 2:
                sites.append(j)
    j = _choice(rng, sites)
    return None if j is None else [Edit(src.tokens[j].start, src.tokens[j].end, "")]


@mutator("syntax.punctuation.unclosed_quote")
def unclosed_quote(src, rng):
    """A string literal loses its closing quote."""
    exp = _exp()
    lits = [lit for lit in src.tree.find_all(exp.Literal) if lit.is_string and "start" in lit.meta]
    lit = _choice(rng, lits)
    if lit is None:
        return None
    start, end = src.name_span(lit)
    if src.sql[end - 1] != "'" or src.sql.count("'") % 2:
        return None
    return [Edit(end - 1, end, "")]


@mutator("syntax.punctuation.trailing_comma")
def trailing_comma(src, rng):
    """A comma after the last SELECT item."""
    select = _choice(rng, [s for s in _selects(src) if s.args.get("from") or s.args.get("from_")])
    if select is None:
        return None
    end = src.span(select.expressions[-1])[1]
    return [Edit(end, end, ",")]


_MISSPELT = {"FROM": "FORM", "WHERE": "WHRE", "HAVING": "HAVNG", "JOIN": "JION", "GROUP_BY": "GROUP",
             "ORDER_BY": "ORDER"}  # fmt: skip


@mutator("syntax.keyword.misspelled_keyword")
def misspell_keyword(src, rng):
    """A keyword misspelt (FORM, WHRE, JION) or GROUP/ORDER without BY."""
    sites = [t for t in src.tokens if t.kind in _MISSPELT]
    t = _choice(rng, sites)
    if t is None:
        return None
    word = _MISSPELT[t.kind]
    if t.kind in ("GROUP_BY", "ORDER_BY"):
        return [Edit(t.start, t.end, t.text.split()[0])]
    return [Edit(t.start, t.end, _kw(t.text, word))]


@mutator("syntax.punctuation.missing_comma")
def missing_comma(src, rng):
    """The comma between an aliased SELECT item and the next one is lost."""
    exp = _exp()
    sites = []
    for select in _selects(src):
        items = select.expressions
        for a, b in zip(items, items[1:], strict=False):
            if isinstance(a, exp.Alias):
                a_end, b_start = src.span(a)[1], src.span(b)[0]
                comma = [t for t in src.tokens if a_end <= t.start < b_start and t.kind == "COMMA"]
                first_b = src.tokens[src.token_at(b_start)]
                if len(comma) == 1 and first_b.kind == "VAR":
                    sites.append(comma[0])
    t = _choice(rng, sites)
    return None if t is None else [Edit(t.start, t.end, "")]


@mutator("syntax.keyword.unexpected_end")
def dangling_comparison(src, rng):
    """The statement stops after a comparison operator (its right side is lost)."""
    exp = _exp()
    root = _root_select(src)
    where = root and root.args.get("where")
    if where is None:
        return None
    last_tok = max((t for t in src.tokens if t.kind not in ("SEMICOLON",)), key=lambda t: t.end)
    cmps = [c for c in where.find_all(exp.EQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.NEQ)
            if src.span(c.expression)[1] == last_tok.end]  # fmt: skip
    if not cmps:
        return None
    start, end = src.span(cmps[0].expression)
    s = start
    while s > 0 and src.sql[s - 1] in " \t":
        s -= 1
    return [Edit(s, end, "")]


def _clauses_in_order(src: Source, early: tuple[str, str], late: tuple[str, str]):
    """(root SELECT, token index of its ``early`` clause, of its ``late`` one) when the root SELECT has both
    (each given as (AST arg, token kind)) in that order; else None."""
    root = _root_select(src)
    if root is None or root.args.get(early[0]) is None or root.args.get(late[0]) is None:
        return None
    a = _clause_token(src, early[1], src.span(root)[0], len(src.sql))
    b = _clause_token(src, late[1], src.span(root)[0], len(src.sql))
    return None if a is None or b is None or b < a else (root, a, b)


@mutator("syntax.keyword.misplaced_clause")
def where_after_group_by(src, rng):
    """The WHERE clause written after GROUP BY."""
    found = _clauses_in_order(src, ("where", "WHERE"), ("group", "GROUP_BY"))
    if found is None:
        return None
    root, w, g = found
    where_end = src.span(root.args["where"].this)[1]
    group_end = src.span(root.args["group"])[1]
    gap = src.sql[where_end : src.tokens[g].start]
    if gap.strip():  # a comment between them: leave this query alone
        return None
    where_text = src.sql[src.tokens[w].start : where_end]
    group_text = src.sql[src.tokens[g].start : group_end]
    return [Edit(src.tokens[w].start, group_end, group_text + " " + where_text)]


@mutator("syntax.keyword.misplaced_clause")
def order_by_before_group_by(src, rng):
    """The ORDER BY clause written before GROUP BY."""
    found = _clauses_in_order(src, ("group", "GROUP_BY"), ("order", "ORDER_BY"))
    if found is None:
        return None
    root, g, o = found
    order_end = src.span(root.args["order"])[1]
    j = next((k for k, t in enumerate(src.tokens) if t.start >= order_end), len(src.tokens))
    while j < len(src.tokens) and src.tokens[j].kind in ("ASC", "DESC", "NULLS_FIRST", "NULLS_LAST", "FIRST", "LAST"):
        order_end, j = src.tokens[j].end, j + 1  # ASC/DESC/NULLS carry no position of their own
    before = src.span(root.args.get("having") or root.args["group"])[1]
    if src.sql[before : src.tokens[o].start].strip():  # a comment before ORDER BY: leave this query alone
        return None
    order_text = src.sql[src.tokens[o].start : order_end]
    # on GROUP BY's line, as where_after_group_by does: a clause moved to a line of its own is no changed line
    return [Edit(src.tokens[g].start, src.tokens[g].start, order_text + " "),
            _delete_with_space_before(src, src.tokens[o].start, order_end)]  # fmt: skip


@mutator("syntax.keyword.misplaced_clause")
def on_without_join(src, rng):
    """An inner JOIN written as a comma, its ON left behind (ON without JOIN)."""
    exp = _exp()
    sites = [j for j in src.tree.find_all(exp.Join) if j.args.get("on") is not None and not j.args.get("side")
             and (j.args.get("kind") or "INNER").upper() == "INNER"]  # fmt: skip
    join = _choice(rng, sites)
    if join is None:
        return None
    start = src.span(join.this)[0]
    i = src.token_at(start) - 1
    if i < 1 or src.tokens[i].kind != "JOIN":
        return None
    first = i - 1 if src.tokens[i - 1].kind == "INNER" else i
    previous = src.tokens[first - 1]
    gap = src.sql[previous.end : src.tokens[first].start]
    if gap.strip():  # a comment before JOIN
        return None
    return [Edit(previous.end, start, "," + (gap if "\n" in gap else " "))]


@mutator("syntax.statement.invalid_clause")
def lateral_table(src, rng):
    """LATERAL written before a joined table: Spark takes it only before a subquery or a table function."""
    exp = _exp()
    sites = []
    for join in src.tree.find_all(exp.Join):
        if isinstance(join.this, exp.Table) and not isinstance(join.this.this, exp.Anonymous):
            start = src.span(join.this)[0]
            i = src.token_at(start) - 1
            if i >= 1 and src.tokens[i].kind in ("JOIN", "COMMA"):
                sites.append((start, src.tokens[i].text))
    site = _choice(rng, sites)
    if site is None:
        return None
    start, before = site
    return [Edit(start, start, _kw(before if before != "," else src.tokens[0].text, "LATERAL") + " ")]


@mutator("syntax.parse.other_syntax_error")
def between_comma(src, rng):
    """BETWEEN a AND b written BETWEEN a, b."""
    exp = _exp()
    sites = [b for b in src.tree.find_all(exp.Between) if b.args.get("low") is not None and b.args.get("high")]
    between = _choice(rng, sites)
    if between is None:
        return None
    low_end, high_start = src.span(between.args["low"])[1], src.span(between.args["high"])[0]
    gap = src.sql[low_end:high_start]
    if gap.strip().upper() != "AND":
        return None
    return [Edit(low_end, high_start, ", ")]


@mutator("syntax.statement.unclosed_comment")
def unclosed_comment(src, rng):
    """A block comment loses its closing */, or (in a query without one) a line comment is opened as /*."""
    closes = [m.start() for m in re.finditer(r"\*/", src.sql) if _outside_strings(src, m.start())]
    if closes:  # Spark nests block comments: any one left open stays open to the end
        at = _choice(rng, closes)
        start = at - 1 if at > 0 and src.sql[at - 1] == " " else at
        return [Edit(start, at + 2, "")]
    if "*/" in src.sql:
        return None
    sites = [m.start() for m in re.finditer(r"--", src.sql) if _outside_strings(src, m.start())]
    at = _choice(rng, sites)
    return None if at is None else [Edit(at, at + 2, "/*")]


@mutator("syntax.statement.empty_statement")
def commented_out(src, rng):
    """The whole query inside a block comment (a query parked while another is tried, then run), so nothing
    is left to run. Not where the query's own block comments already nest: Spark reads any depth, the
    taxonomy's guard one level."""
    depth = 0
    for m in re.finditer(r"/\*|\*/", src.sql):
        depth += 1 if m.group() == "/*" else -1
        if depth > 1 or depth < 0:
            return None
    end = len(src.sql.rstrip())
    # opened on the first line (so the fix changes a line), closed on a line of its own (past any -- comment)
    return None if depth or not end else [Edit(0, 0, "/* "), Edit(end, end, "\n*/")]


def _outside_strings(src: Source, at: int) -> bool:
    return src.sql.count("'", 0, at) % 2 == 0 and src.sql.count('"', 0, at) % 2 == 0


@mutator("syntax.statement.invalid_identifier")
def hyphen_alias(src, rng):
    """A snake_case SELECT alias written in kebab-case (AS order-total), which Spark reads as no identifier."""
    exp = _exp()
    sites = [a.args["alias"] for s in _selects(src) for a in s.expressions
             if isinstance(a, exp.Alias) and isinstance(a.args.get("alias"), exp.Identifier)
             and not a.args["alias"].quoted and "start" in a.args["alias"].meta
             and re.fullmatch(r"[A-Za-z][A-Za-z0-9]*(_[A-Za-z][A-Za-z0-9]*)+", a.args["alias"].name)]  # fmt: skip
    ident = _choice(rng, sites)
    if ident is None:
        return None
    start, end = src.name_span(ident)
    return [Edit(start, end, src.sql[start:end].replace("_", "-"))]


@mutator("syntax.statement.invalid_literal")
def invalid_date_literal(src, rng):
    """A typed DATE/TIMESTAMP literal with month 13."""
    exp = _exp()
    sites = [c.this for c in src.tree.find_all(exp.Cast)
             if isinstance(c.this, exp.Literal) and c.this.is_string and re.match(r"\d{4}-\d{2}", c.this.name)
             and "start" in c.this.meta]  # fmt: skip
    lit = _choice(rng, sites)
    if lit is None:
        return None
    start, _ = src.name_span(lit)
    month = src.sql.index("-", start) + 1
    if not src.tokens[src.token_at(start) - 1].kind.startswith(("DATE", "TIMESTAMP")):
        return None
    return [Edit(month, month + 2, "13")]


@mutator("syntax.statement.invalid_literal")
def hex_literal_prefix(src, rng):
    """A binary literal with its 0x kept inside the quotes (X'0x4200...'), as an address is copied from a
    block explorer or a Trino query."""
    sites = [t.start + 2 for t in src.tokens if t.kind == "HEX_STRING" and src.sql[t.start : t.start + 2] in ("X'", "x'")]
    at = _choice(rng, sites)
    return None if at is None else [Edit(at, at, "0x")]


# ---------------------------------------------------------------------------------------------- resolution
def _names_in_scope(src: Source) -> set[str]:
    return {c for cols in src.schema.values() for c in cols}


@mutator("resolution.column.misspelled_column")
def column_typo(src, rng):
    """A qualified column name misspelt."""
    cols = [c for c in _columns(src) if c.table and "start" in c.this.meta]
    col = _choice(rng, cols)
    if col is None:
        return None
    new = _typo(col.name, rng, _names_in_scope(src) | {col.name.lower()})
    start, end = src.name_span(col.this)
    return None if new is None else [Edit(start, end, new)]


@mutator("resolution.column.unknown_column")
def foreign_column(src, rng):
    """A column read through a table that does not have it: o.signup_date, where signup_date belongs to a table
    the query reads elsewhere (users) and nothing in that SELECT's FROM is spelt like it."""
    exp = _exp()
    read = {table_key(t) for t in src.tree.find_all(exp.Table)} & set(src.schema)
    sites = []
    for col in _columns(src):
        select = col.find_ancestor(exp.Select)
        if not col.table or "start" not in col.this.meta or select is None:
            continue
        sources = [select.args.get("from_"), *(select.args.get("joins") or [])]
        direct = [s.this for s in sources if s is not None and isinstance(s.this, exp.Table)]
        if not any(t.alias_or_name.lower() == col.table.lower() and table_key(t) in src.schema for t in direct):
            continue
        in_scope = {c for t in direct for c in src.schema.get(table_key(t), {})}
        others = sorted({c for name in read - {table_key(t) for t in direct} for c in src.schema[name]
                         if not any(close_names(c, near) for near in in_scope)})  # fmt: skip
        if others:
            sites.append((col, others))
    site = _choice(rng, sites)
    if site is None:
        return None
    col, others = site
    return [Edit(*src.name_span(col.this), _choice(rng, others))]


@mutator("resolution.column.star_expand_failed")
def star_qualifier(src, rng):
    """t.* written with the table's name where the query aliases it (orders.* for FROM orders o), or misspelt."""
    exp = _exp()
    sites = [c for c in _columns(src) if isinstance(c.this, exp.Star) and isinstance(c.args.get("table"), exp.Identifier)
             and "start" in c.args["table"].meta]  # fmt: skip
    col = _choice(rng, sites)
    if col is None:
        return None
    qualifier = col.table
    tables = [t for t in src.tree.find_all(exp.Table) if t.alias and t.alias.lower() == qualifier.lower()]
    new = tables[0].name if tables and tables[0].name.lower() != qualifier.lower() else None
    if new is None:
        names = {t.alias_or_name.lower() for t in src.tree.find_all(exp.Table)}
        new = _typo(qualifier, rng, names | {qualifier.lower()})
    start, end = src.name_span(col.args["table"])
    return None if new is None else [Edit(start, end, new)]


@mutator("resolution.column.struct_field_not_found")
def struct_field_typo(src, rng):
    """A struct field name misspelt (address.cty)."""
    exp = _exp()
    sites = [c.this for c in _columns(src) if len(c.parts) >= 3 and "start" in c.this.meta]
    sites += [d.expression for d in src.tree.find_all(exp.Dot)
              if isinstance(d.expression, exp.Identifier) and "start" in d.expression.meta]  # fmt: skip
    ident = _choice(rng, sites)
    if ident is None:
        return None
    new = _typo(ident.name, rng, {ident.name.lower()})
    start, end = src.name_span(ident)
    return None if new is None else [Edit(start, end, new)]


@mutator("resolution.column.using_column_missing")
def using_column_typo(src, rng):
    """A JOIN ... USING column misspelt."""
    idents = [i for j in src.tree.find_all(_exp().Join) for i in (j.args.get("using") or []) if "start" in i.meta]
    ident = _choice(rng, idents)
    if ident is None:
        return None
    new = _typo(ident.name, rng, _names_in_scope(src) | {ident.name.lower()})
    start, end = src.name_span(ident)
    return None if new is None else [Edit(start, end, new)]


@mutator("resolution.relation.table_not_found")
def table_typo(src, rng):
    """A table name misspelt."""
    tables = [t for t in src.tree.find_all(_exp().Table) if t.db and "start" in t.this.meta]
    table = _choice(rng, tables)
    if table is None:
        return None
    known = {name.split(".")[-1] for name in src.schema}
    new = _typo(table.name, rng, known | {table.name.lower()})
    start, end = src.name_span(table.this)
    return None if new is None else [Edit(start, end, new)]


_CATALOGS = ("main", "prod", "hive_metastore", "dev")  # Unity Catalog's default, a project, a workspace


@mutator("resolution.relation.schema_or_catalog_not_found")
def catalog_prefix(src, rng):
    """A table named under a catalog the engine does not have (main.shop.orders, copied from a workspace with
    Unity Catalog or from a BigQuery project): Spark's session catalog takes a one-part database."""
    tables = [t for t in src.tree.find_all(_exp().Table)
              if t.db and not t.catalog and "start" in t.args["db"].meta]  # fmt: skip
    table = _choice(rng, tables)
    if table is None:
        return None
    start, _ = src.name_span(table.args["db"])
    if start and src.sql[start - 1] == "`":
        start -= 1
    return [Edit(start, start, f"{_choice(rng, list(_CATALOGS))}.")]


@mutator("resolution.function.unknown_function")
def function_typo(src, rng):
    """A function name misspelt (SUMM, cnt, uppper)."""
    exp = _exp()
    calls = [f for f in src.tree.find_all(exp.Func) if "start" in f.meta and re.fullmatch(r"\w{3,}", src.sql[
        f.meta["start"] : f.meta["end"] + 1])]  # fmt: skip
    call = _choice(rng, calls)
    if call is None:
        return None
    start, end = src.name_span(call)
    word = src.sql[start:end]
    for _ in range(4):
        new = _typo(word, rng, {word.lower()})
        if new and not _is_function(new):
            return [Edit(start, end, new)]
    return None


def _is_function(name: str) -> bool:
    from sqlglot.dialects.spark import Spark

    return name.upper() in Spark.Parser.FUNCTIONS


_MIN_TWO = MIN_TWO_ARGS


@mutator("resolution.function.wrong_arguments")
def drop_last_argument(src, rng):
    """A function that needs two or more arguments called with one fewer."""
    exp = _exp()
    sites = []
    for f in src.tree.find_all(exp.Func):
        if "start" not in f.meta or src.sql[f.meta["start"] : f.meta["end"] + 1].lower() not in _MIN_TWO:
            continue
        i = src.token_at(f.meta["start"])
        if src.tokens[i + 1].kind != "L_PAREN":
            continue
        j = src.match(i + 1)
        commas = [k for k in range(i + 2, j) if src.tokens[k].kind == "COMMA"
                  and src.tokens[k].depth == src.tokens[i + 1].depth + 1]  # fmt: skip
        if commas:
            sites.append((src.tokens[commas[-1]].start, src.tokens[j].start))
    site = _choice(rng, sites)
    return None if site is None else [Edit(site[0], site[1], "")]


@mutator("resolution.function.wrong_function_kind")
def drop_over(src, rng):
    """A ranking or offset window function without its OVER clause."""
    exp = _exp()
    sites = [w for w in src.tree.find_all(exp.Window) if function_name(w.this) in RANKING]
    w = _choice(rng, sites)
    if w is None:
        return None
    call_end = src.span(w.this)[1]
    return [Edit(call_end, src.span(w)[1], "")]


@mutator("resolution.ambiguity.ambiguous_reference")
def drop_qualifier(src, rng):
    """A joined column's table qualifier dropped where both tables have that column."""
    exp = _exp()
    if src.tree.find(exp.Join) is None:
        return None
    scope = src.scope_columns()
    sites = [c for c in _columns(src) if c.table and len(scope.get(c.name.lower(), [])) >= 2
             and "start" in c.args["table"].meta and c.find_ancestor(exp.Subquery) is None]  # fmt: skip
    col = _choice(rng, sites)
    if col is None:
        return None
    start = col.args["table"].meta["start"]
    return [Edit(start, src.name_span(col.this)[0], "")]


@mutator("resolution.ambiguity.duplicate_cte_name")
def duplicate_cte(src, rng):
    """Two CTEs given one name."""
    exp = _exp()
    with_ = src.tree.find(exp.With)
    if with_ is None or len(with_.expressions) < 2:
        return None
    first, other = with_.expressions[0].alias, rng.choice(with_.expressions[1:])
    ident = other.args["alias"].this
    if "start" not in ident.meta:
        return None
    return [Edit(*src.name_span(ident), first)]


@mutator("resolution.ambiguity.ambiguous_alias")
def lateral_alias_twice(src, rng):
    """A copy-pasted alias: an item before a lateral alias's use takes that alias too (AS total twice), so
    the later item cannot tell which one it reads."""
    exp = _exp()
    scope = src.scope_columns()
    names = {c.name.lower() for c in _columns(src)}
    sites = []
    for select in _selects(src):
        items = select.expressions
        first: dict[str, int] = {}
        for i, item in enumerate(items):
            if isinstance(item, exp.Alias):
                first.setdefault(item.alias.lower(), i)
        for j, item in enumerate(items):
            used = {c.name for c in item.find_all(exp.Column) if not c.table and c.name.lower() not in scope
                    and first.get(c.name.lower(), j) < j}  # fmt: skip
            for name in sorted(used):
                for k, other in enumerate(items[:j]):
                    ident = other.args.get("alias") if isinstance(other, exp.Alias) else None
                    if k != first[name.lower()] and isinstance(ident, exp.Identifier) and not ident.quoted \
                            and "start" in ident.meta and ident.name.lower() not in names:  # fmt: skip
                        sites.append((ident, name))
    site = _choice(rng, sites)
    return None if site is None else [Edit(*src.name_span(site[0]), site[1])]


@mutator("resolution.variable.unresolved_variable")
def literal_to_parameter(src, rng):
    """A WHERE literal left as a notebook parameter (:name) nobody binds."""
    exp = _exp()
    sites = [c for w in src.tree.find_all(exp.Where) for c in w.find_all(exp.EQ, exp.GT, exp.GTE, exp.LT, exp.LTE)
             if isinstance(c.left, exp.Column) and isinstance(c.right, exp.Literal) and "start" in c.right.meta]  # fmt: skip
    cmp = _choice(rng, sites)
    if cmp is None:
        return None
    return [Edit(*src.name_span(cmp.right), f":{cmp.left.name.lower()}")]


# ---------------------------------------------------------------------------------------------- types
@mutator("types.mismatch.other_type_mismatch")
def percent_not_fraction(src, rng):
    """A percentile asked for as a percent (95) where Spark wants a fraction (0.95)."""
    exp = _exp()
    sites = [q.args["quantile"] for q in src.tree.find_all(exp.ApproxQuantile, exp.Quantile)
             if isinstance(q.args.get("quantile"), exp.Literal) and not q.args["quantile"].is_string
             and "start" in q.args["quantile"].meta and re.fullmatch(r"0?\.\d+", q.args["quantile"].name)]  # fmt: skip
    lit = _choice(rng, sites)
    if lit is None:
        return None
    percent = format(Decimal(lit.name) * 100, "f")
    percent = percent.rstrip("0").rstrip(".") if "." in percent else percent
    return None if percent in ("", "0") else [Edit(*src.name_span(lit), percent)]


@mutator("types.mismatch.other_type_mismatch")
def sequence_number_step(src, rng):
    """A date or timestamp sequence stepped by a number (1), as generate_series counts days, where Spark wants
    an interval (INTERVAL 1 DAY)."""
    toks, sites = src.tokens, []
    for k in range(len(toks) - 1):
        if toks[k].text.lower() != "sequence" or toks[k + 1].kind != "L_PAREN":
            continue
        inside, commas, close = toks[k + 1].depth + 1, [], None
        for i in range(k + 2, len(toks)):
            if toks[i].kind == "R_PAREN" and toks[i].depth == inside - 1:
                close = i
                break
            if toks[i].kind == "COMMA" and toks[i].depth == inside:
                commas.append(i)
        step = toks[commas[-1] + 1 : close] if close is not None and len(commas) == 2 else []
        if [t.kind for t in step][:1] == ["INTERVAL"] and len(step) == 3 and step[1].text.isdigit() \
                and step[1].kind in ("NUMBER", "STRING") and step[2].kind == "VAR":  # fmt: skip
            sites.append(step)
    step = _choice(rng, sites)
    return None if step is None else [Edit(step[0].start, step[2].end, step[1].text)]


@mutator("types.mismatch.operator_operand_types")
def date_as_number(src, rng):
    """A date column compared with a number (20240101) instead of a date string."""
    exp = _exp()
    sites = [c for c in src.tree.find_all(exp.EQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.NEQ)
             if isinstance(c.left, exp.Column) and _family(src.column_type(c.left)) == "datetime"
             and re.match(r"\d{4}-\d{2}-\d{2}", _literal(c.right).name if _literal(c.right) else "")]  # fmt: skip
    cmp = _choice(rng, sites)
    if cmp is None:
        return None
    start, end = src.span(cmp.right)
    return [Edit(start, end, _literal(cmp.right).name[:10].replace("-", ""))]


def _literal(node):
    """The string literal of ``'2024-01-01'`` or ``DATE '2024-01-01'`` (else None)."""
    exp = _exp()
    if isinstance(node, exp.Cast):
        node = node.this
    return node if isinstance(node, exp.Literal) and node.is_string and "start" in node.meta else None


@mutator("types.mismatch.function_argument_type")
def aggregate_of_date(src, rng):
    """SUM/AVG over a date or collection column of the same table (the wrong column)."""
    exp = _exp()
    sites = []
    for agg in src.tree.find_all(exp.Sum, exp.Avg):
        col = agg.this
        if isinstance(col, exp.Column) and col.table and _family(src.column_type(col)) == "number":
            dates = [n for n, t in src.columns_of(col.table).items()  # SUM(timestamp) and SUM(string) pass
                     if t == "date" or _family(t) == "complex"]  # fmt: skip
            if dates and "start" in col.this.meta:
                sites.append((col, dates))
    site = _choice(rng, sites)
    if site is None:
        return None
    col, dates = site
    return [Edit(*src.name_span(col.this), rng.choice(sorted(dates)))]


@mutator("types.mismatch.cast_not_allowed")
def impossible_cast(src, rng):
    """A CAST to a type its column cannot become (a date to INT, a timestamp to BOOLEAN, a number to DATE)."""
    sites = []
    for cast in _column_casts(src):
        typ = src.column_type(cast.this)
        target = (
            "INT"
            if typ == "date"
            else "BOOLEAN"
            if _family(typ) == "datetime"
            else "DATE"
            if _family(typ) == "number"
            else None
        )  # fmt: skip  (a TIMESTAMP casts to INT: no bug)
        if target and (cast.args["to"].sql(dialect="spark").upper() != target):
            sites.append((cast, target))
    site = _choice(rng, sites)
    if site is None:
        return None
    cast, target = site
    return _retyped(src, cast, target)


def _column_casts(src: Source) -> list:
    """The query's casts (CAST and TRY_CAST) of a plain column."""
    exp = _exp()
    return [c for c in src.tree.find_all(exp.Cast) if isinstance(c.this, exp.Column)]


def _retyped(src: Source, cast, target: str) -> list[Edit] | None:
    """The edit that makes ``CAST(x AS T)`` read ``CAST(x AS target)`` (the type's text, in the query's case)."""
    first, last = src.token_span(cast)
    ast = [k for k in range(first, last) if src.tokens[k].kind == "ALIAS" and src.tokens[k].depth
           == src.tokens[first + 1].depth + 1]  # fmt: skip
    if not ast:
        return None
    return [Edit(src.tokens[ast[-1] + 1].start, src.tokens[last].start, _kw(src.tokens[ast[-1]].text, target))]


@mutator("types.mismatch.branch_types_differ")
def coalesce_default_type(src, rng):
    """COALESCE of a date with 0, or of a number with a date: branches of incompatible types."""
    exp = _exp()
    sites = []
    for co in src.tree.find_all(exp.Coalesce):
        first = co.this
        rest = co.expressions
        if not isinstance(first, exp.Column) or not rest:
            continue
        family = _family(src.column_type(first))
        new = {"datetime": "0", "number": "DATE '1970-01-01'"}.get(family)
        if new:
            sites.append((rest[-1], new))
    site = _choice(rng, sites)
    if site is None:
        return None
    node, new = site
    return [Edit(*src.span(node), new)]


@mutator("types.mismatch.condition_not_boolean")
def comparison_lost(src, rng):
    """A WHERE or JOIN condition reduced to its column (the comparison is lost)."""
    exp = _exp()
    sites = []
    for clause in [*src.tree.find_all(exp.Where), *[j.args["on"] for j in src.tree.find_all(exp.Join)
                                                     if j.args.get("on") is not None]]:  # fmt: skip
        cond = clause.this if isinstance(clause, exp.Where) else clause
        parts = list(cond.flatten()) if isinstance(cond, exp.And) else [cond]
        for part in parts:
            if isinstance(part, exp.EQ | exp.GT | exp.GTE | exp.LT | exp.LTE | exp.NEQ) and isinstance(
                part.left, exp.Column
            ):
                if _family(src.column_type(part.left)) in ("number", "datetime", "complex"):
                    sites.append(part)  # a STRING column would be cast to boolean and pass
    cmp = _choice(rng, sites)
    if cmp is None:
        return None
    return [Edit(src.span(cmp.left)[1], src.span(cmp)[1], "")]


def _union_branches(src: Source):
    exp = _exp()
    for op in src.tree.find_all(exp.SetOperation):
        left, right = op.this, op.expression
        if isinstance(left, exp.Select) and isinstance(right, exp.Select):
            yield left, right


@mutator("types.set_operation.column_count_mismatch")
def union_drops_column(src, rng):
    """One branch of a UNION loses its last column."""
    sites = [r for _, r in _union_branches(src) if len(r.expressions) >= 2]
    right = _choice(rng, sites)
    return None if right is None else _remove_item(src, right.expressions, len(right.expressions) - 1)


@mutator("types.set_operation.column_type_mismatch")
def union_swaps_columns(src, rng):
    """Two columns of one UNION branch swapped, putting a date where a number goes."""
    exp = _exp()
    sites = []
    for _, right in _union_branches(src):
        items = right.expressions
        fams = [_family(src.column_type(e.unalias())) if isinstance(e.unalias(), exp.Column) else None for e in items]
        for i in range(len(items)):
            for j in range(i + 1, len(items)):
                if {fams[i], fams[j]} == {"number", "datetime"}:
                    sites.append((items[i], items[j]))
    site = _choice(rng, sites)
    if site is None:
        return None
    a, b = site
    ta, tb = src.text(a.unalias()), src.text(b.unalias())
    return [Edit(*src.span(a.unalias()), tb), Edit(*src.span(b.unalias()), ta)]


_TYPE_TYPOS = {"INT": "INTEGR", "INTEGER": "INTERGER", "BIGINT": "BIGINTEGER", "STRING": "STRNG",
               "DOUBLE": "DOUBEL", "DATE": "DATETYPE", "TIMESTAMP": "TIMESTMP", "FLOAT": "FLOT",
               "DECIMAL": "DECIMEL", "BOOLEAN": "BOOLEN", "SMALLINT": "SMALINT"}  # fmt: skip


@mutator("types.expression.invalid_data_type_definition")
def type_name_typo(src, rng):
    """A CAST to a misspelt type name (INTEGR, DOUBEL)."""
    exp = _exp()
    sites = []
    for cast in src.tree.find_all(exp.Cast):
        if isinstance(cast.this, exp.Literal) and cast.this.is_string:
            continue  # a typed literal, not a cast
        try:
            first, last = src.token_span(cast)
        except ValueError:
            continue
        for k in range(first, last):
            if src.tokens[k].kind == "ALIAS" and src.tokens[k + 1].text.upper() in _TYPE_TYPOS:
                sites.append(src.tokens[k + 1])
    t = _choice(rng, sites)
    return None if t is None else [Edit(t.start, t.end, _kw(t.text, _TYPE_TYPOS[t.text.upper()]))]


# ---------------------------------------------------------------------------------------------- aggregation
def _grouped(src: Source):
    for select in _selects(src):
        group = select.args.get("group")
        if group is not None and group.expressions:
            yield select, group


def _is_aggregate(node) -> bool:
    exp = _exp()
    return any(function_name(f) in AGGREGATES for f in node.find_all(exp.Func)) and node.find(exp.Window) is None


@mutator("aggregation.group_by.missing_from_group_by")
def drop_group_key(src, rng):
    """A GROUP BY key that the SELECT list shows is dropped."""
    exp = _exp()
    sites = []
    for select, group in _grouped(src):
        keys = group.expressions
        shown = {e.unalias().sql() for e in select.expressions}
        if len(keys) >= 2 and not any(isinstance(k, exp.Literal) for k in keys):
            sites += [(keys, i) for i, k in enumerate(keys) if isinstance(k, exp.Column) and k.sql() in shown]
    site = _choice(rng, sites)
    return None if site is None else _remove_item(src, *site)


@mutator("aggregation.group_by.missing_group_by")
def drop_group_by(src, rng):
    """The whole GROUP BY clause is forgotten."""
    exp = _exp()
    sites = []
    for select, group in _grouped(src):
        if select.args.get("having") is not None:
            continue
        plain = [e for e in select.expressions if not _is_aggregate(e) and e.find(exp.Column) is not None]
        if plain and any(_is_aggregate(e) for e in select.expressions):
            sites.append(group)
    group = _choice(rng, sites)
    if group is None:
        return None
    start, end = src.span(group)
    g = _clause_token(src, "GROUP_BY", src.span(group.parent)[0], start + 1)
    return None if g is None else [_delete_with_space_before(src, src.tokens[g].start, end)]


def _position_of_aggregate(select) -> int | None:
    for i, e in enumerate(select.expressions, 1):
        if _is_aggregate(e):
            return i
    return None


@mutator("aggregation.group_by.invalid_grouping")
def group_by_aggregate_position(src, rng):
    """A GROUP BY key replaced by the position of an aggregate (GROUP BY 2 for SUM(...))."""
    exp = _exp()
    sites = []
    for select, group in _grouped(src):
        pos = _position_of_aggregate(select)
        if pos is not None:
            sites += [(k, pos) for k in group.expressions if isinstance(k, exp.Column | exp.Literal)]
    site = _choice(rng, sites)
    if site is None:
        return None
    key, pos = site
    return [Edit(*src.span(key), str(pos))]


@mutator("aggregation.group_by.position_out_of_range")
def group_by_position_out_of_range(src, rng):
    """A GROUP BY position past the end of the SELECT list."""
    exp = _exp()
    sites = [(k, len(select.expressions) + 1) for select, group in _grouped(src) for k in group.expressions
             if isinstance(k, exp.Literal) and not k.is_string]  # fmt: skip
    site = _choice(rng, sites)
    if site is None:
        return None
    key, pos = site
    return [Edit(*src.span(key), str(pos))]


@mutator("aggregation.misuse.invalid_aggregate_argument")
def nested_aggregate(src, rng):
    """An aggregate's argument wrapped in another aggregate (SUM(MAX(x)))."""
    exp = _exp()
    sites = [a for a in src.tree.find_all(exp.Sum, exp.Avg, exp.Max, exp.Min)
             if a.find_ancestor(exp.Window) is None and isinstance(a.this, exp.Column)]  # fmt: skip
    agg = _choice(rng, sites)
    if agg is None:
        return None
    start, end = src.span(agg.this)
    inner = "MAX" if not isinstance(agg, exp.Max) else "SUM"
    name = src.sql[agg.meta["start"] : agg.meta["end"] + 1] if "start" in agg.meta else "SUM"
    return [Edit(start, end, f"{_kw(name, inner)}({src.sql[start:end]})")]


@mutator("aggregation.misuse.aggregate_in_where")
def having_into_where(src, rng):
    """The HAVING condition written in WHERE."""
    sites = [s for s, _ in _grouped(src) if s.args.get("having") is not None]
    select = _choice(rng, sites)
    if select is None:
        return None
    having = select.args["having"]
    cond_start, cond_end = src.span(having.this)
    h = _clause_token(src, "HAVING", src.span(select)[0], cond_start)
    if h is None:
        return None
    cond = src.sql[cond_start:cond_end]
    where = select.args.get("where")
    if where is not None:
        add = Edit(src.span(where.this)[1], src.span(where.this)[1], f" {_kw(src.tokens[h].text, 'AND')} {cond}")
    else:
        g = _clause_token(src, "GROUP_BY", src.span(select)[0], len(src.sql))
        if g is None:
            return None
        line_start = src.sql.rfind("\n", 0, src.tokens[g].start) + 1
        indent = src.sql[line_start : src.tokens[g].start]
        sep = "\n" + indent if not indent.strip() and line_start > 0 else " "
        at = src.tokens[g].start
        add = Edit(at, at, f"{_kw(src.tokens[h].text, 'WHERE')} {cond}{sep}")
    return [add, _delete_with_space_before(src, src.tokens[h].start, cond_end)]


@mutator("aggregation.window.missing_order_by")
def drop_window_order(src, rng):
    """A ranking or offset window function loses the ORDER BY of its window."""
    exp = _exp()
    sites = [w for w in src.tree.find_all(exp.Window)  # OVER () left empty is another error (MISSING_WINDOW_SPEC...)
             if function_name(w.this) in RANKING and w.args.get("order") and w.args.get("partition_by")]  # fmt: skip
    w = _choice(rng, sites)
    if w is None:
        return None
    if w.args.get("spec") is not None:
        return None  # a frame after the ORDER BY: leave it
    start, _ = src.span(w.args["order"])
    close = src.tokens[src.token_span(w)[1]]  # the window's ")": ASC/DESC/NULLS carry no position of their own
    o = [t for t in src.tokens if t.kind == "ORDER_BY" and src.span(w.this)[1] <= t.start < start]
    if not o:
        return None
    s = o[-1].start
    while s > 0 and src.sql[s - 1] in " \t\n":
        s -= 1
    return [Edit(s, close.start, "")]


@mutator("resolution.function.wrong_function_kind")
def window_without_over(src, rng):
    """A ranking or offset window function written without its OVER (...) clause."""
    exp = _exp()
    sites = [w for w in src.tree.find_all(exp.Window) if function_name(w.this) in RANKING and w.args.get("order")]
    w = _choice(rng, sites)
    if w is None:
        return None
    call_end = src.span(w.this)[1]
    close = src.tokens[src.token_span(w)[1]]
    over = [t for t in src.tokens if t.kind == "OVER" and call_end <= t.start < close.start]
    if not over or close.kind != "R_PAREN" or src.sql[call_end : over[0].start].strip():
        return None
    return [Edit(call_end, close.end, "")]


@mutator("aggregation.window.frame_mismatch")
def frame_on_offset(src, rng):
    """lag/lead given a ROWS frame (they take none)."""
    exp = _exp()
    sites = [w for w in src.tree.find_all(exp.Window)
             if function_name(w.this) in ("lag", "lead") and w.args.get("order") and not w.args.get("spec")]  # fmt: skip
    w = _choice(rng, sites)
    if w is None:
        return None
    close = src.tokens[src.token_span(w)[1]]
    kw = src.sql[src.tokens[src.token_at(src.span(w.args["order"])[0]) - 1].start :].split()[0]
    return [Edit(close.start, close.start, " " + _kw(kw, "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"))]


@mutator("aggregation.window.unsupported_window_expression")
def distinct_in_window(src, rng):
    """DISTINCT inside an aggregate over a window (COUNT(DISTINCT x) OVER ...)."""
    exp = _exp()
    sites = [w.this for w in src.tree.find_all(exp.Window)
             if isinstance(w.this, exp.Sum | exp.Count | exp.Avg) and "start" in w.this.meta
             and w.this.find(exp.Distinct) is None and not isinstance(w.this.this, exp.Star)]  # fmt: skip
    agg = _choice(rng, sites)
    if agg is None:
        return None
    i = src.token_at(agg.meta["start"])
    if src.tokens[i + 1].kind != "L_PAREN":
        return None
    at = src.tokens[i + 1].end
    return [Edit(at, at, _kw(src.tokens[i].text, "DISTINCT") + " ")]


# ---------------------------------------------------------------------------------------------- writes
# The bugs of a statement that writes: ``INSERT INTO t <query>`` whose table's columns the schema holds
# (generation puts a corpus query in this form first: ``oriented.write_form``).
def _insert(src: Source):
    """(the INSERT's table node, its column list's identifiers (empty: none), the columns written
    [(column, type)] in order, the query's select items), or None where the statement is not an INSERT of one
    SELECT into a table of the schema, without a PARTITION clause, one item per column written."""
    exp = _exp()
    tree = src.tree
    if not isinstance(tree, exp.Insert) or tree.args.get("partition"):
        return None
    target, listed = tree.this, []
    if isinstance(target, exp.Schema):
        target, listed = target.this, list(target.expressions)
    if not isinstance(target, exp.Table) or target.args.get("partition"):
        return None
    table = src.schema.get(table_key(target))
    select = tree.expression
    if not table or not isinstance(select, exp.Select):
        return None
    names = [i.name.lower() for i in listed] if listed else list(table)
    if any(n not in table for n in names) or len(set(names)) != len(names) or len(select.expressions) != len(names):
        return None
    return target, listed, [(n, table[n]) for n in names], select.expressions


def _unsafe_write(value: str | None, column: str | None) -> bool:
    """Whether Spark refuses to write a value of family ``value`` into a column of family ``column`` (its
    ANSI store assignment): between numbers, datetimes, texts and booleans, only into a text column or
    within a family (a date into a timestamp, a double into a bigint) is safe."""
    families = ("number", "datetime", "string", "boolean")
    return value in families and column in families and value != column and column != "string"


@mutator("types.write.column_count_mismatch")
def insert_drops_column(src, rng):
    """One of the table's columns missing from the query that loads it (added to the table, not to the INSERT)."""
    found = _insert(src)
    if found is None or len(found[3]) < 2:
        return None
    return _remove_item(src, found[3], rng.randrange(len(found[3])))


@mutator("types.write.incompatible_data")
def insert_swaps_columns(src, rng):
    """Two items of the query that loads a table written in each other's place: INSERT matches columns by
    position, so a text lands in a number or a date column."""
    found = _insert(src)
    if found is None:
        return None
    _, _, columns, items = found
    columns = [_family(t) for _, t in columns]
    values = [_family(src.item_type(item)) for item in items]  # None where the query does not say
    sites = [(i, j) for i in range(len(items)) for j in range(i + 1, len(items))
             if _unsafe_write(values[j], columns[i]) or _unsafe_write(values[i], columns[j])]  # fmt: skip

    def swap(i: int, j: int) -> list[Edit]:
        return [Edit(*src.span(items[i]), src.text(items[j])), Edit(*src.span(items[j]), src.text(items[i]))]

    # two whole lines traded change no line (the one line diff): such a pair teaches nothing
    sites = [(i, j) for i, j in sites if changed_lines(splice(src.sql, swap(i, j)), src.sql)]
    site = _choice(rng, sites)
    return None if site is None else swap(*site)


@mutator("resolution.column.duplicate_column")
def insert_lists_column_twice(src, rng):
    """A column of an INSERT's column list written twice (copied from the name before it) in place of another."""
    found = _insert(src)
    if found is None or len(found[1]) < 2:
        return None
    listed = found[1]
    i = rng.randrange(1, len(listed))
    return [Edit(*src.span(listed[i]), src.text(listed[i - 1]))]


@mutator("query_shape.write.partition_spec_mismatch")
def insert_partition_clause(src, rng):
    """A PARTITION clause naming a column the table is not partitioned by (its date, as if it were the
    table's partition)."""
    found = _insert(src)
    if found is None:
        return None
    table, _, columns, _ = found
    dates = [c for c, t in columns if _family(t) == "datetime"]
    column = _choice(rng, dates or [c for c, _ in columns])
    at = src.span(table)[1]
    return [Edit(at, at, f" PARTITION ({backquoted(column) if not is_identifier(column) else column})")]


# ---------------------------------------------------------------------------------------------- query shape
@mutator("query_shape.subquery.subquery_column_count")
def in_subquery_star(src, rng):
    """IN (SELECT col FROM t) written as IN (SELECT * FROM t) over a table of several columns."""
    exp = _exp()
    sites = []
    for node in src.tree.find_all(exp.In):
        query = node.args.get("query")
        select = query.this if isinstance(query, exp.Subquery) else query
        if isinstance(select, exp.Select) and len(select.expressions) == 1:
            tables = [t for t in select.find_all(exp.Table)]
            if len(tables) == 1 and len(src.schema.get(table_key(tables[0]), {})) >= 2:
                sites.append(select.expressions[0])
    item = _choice(rng, sites)
    return None if item is None else [Edit(*src.span(item), "*")]


@mutator("query_shape.generator.generator_misuse")
def lateral_view_extra_alias(src, rng):
    """LATERAL VIEW explode(...) given two column aliases (as if it returned a position too)."""
    exp = _exp()
    sites = []
    for lateral in src.tree.find_all(exp.Lateral):
        alias = lateral.args.get("alias")
        if isinstance(lateral.this, exp.Explode) and not isinstance(lateral.this, exp.Posexplode) and alias \
                and len(alias.columns) == 1 and "start" in alias.columns[0].meta:  # fmt: skip
            sites.append(alias.columns[0])
    col = _choice(rng, sites)
    if col is None:
        return None
    end = src.name_span(col)[1]
    return [Edit(end, end, ", pos")]


# ---------------------------------------------------------------------------------------------- runtime
# These bugs pass the analyzer and fail on rows: the filter judges them on its sandbox's edge rows (zero, the
# type's extremes, malformed strings, empty arrays), which is where a guard the author wrote earns its keep.
def _operand(src: Source, node) -> str:
    """The text of ``node`` as an operand of ``/`` (parenthesised unless it is a name, a literal or a call)."""
    exp = _exp()
    text = src.text(node)
    return text if isinstance(node, exp.Column | exp.Literal | exp.Func | exp.Paren) else f"({text})"


@mutator("runtime.arithmetic.divide_by_zero")
def drop_zero_guard(src, rng):
    """A division loses its guard against a zero divisor: try_divide(a, b) -> a / b, a / NULLIF(b, 0) -> a / b."""
    exp = _exp()
    sites = []
    for node in src.tree.find_all(exp.SafeDivide):
        if any("start" in n.meta for n in node.walk()):  # a position to splice at
            sites.append((node, f"{_operand(src, node.this)} / {_operand(src, node.expression)}"))
    for div in src.tree.find_all(exp.Div):
        guard = div.expression
        if isinstance(guard, exp.Nullif) and isinstance(guard.expression, exp.Literal) \
                and guard.expression.name in ("0", "0.0"):  # fmt: skip
            sites.append((guard, _operand(src, guard.this)))
    site = _choice(rng, sites)
    if site is None:
        return None
    node, text = site
    return [Edit(*src.span(node), text)]


def _cast_keyword(src: Source, cast, keyword: str) -> int | None:
    """Token index of a cast's keyword when it is ``keyword`` (CAST or TRY_CAST). sqlglot reads a Spark CAST
    as a TryCast too (non-ANSI Spark casts to NULL), so the written keyword tells them apart."""
    first, _ = src.token_span(cast)
    return first if src.tokens[first].text.upper() == keyword else None


@mutator("runtime.cast.malformed_input")
def try_cast_to_cast(src, rng):
    """TRY_CAST of a string column to a number, date or boolean written as CAST (a malformed value fails it)."""
    exp = _exp()
    sites = []
    for cast in src.tree.find_all(exp.Cast):
        target = cast.args["to"].sql(dialect="spark").lower()
        if isinstance(cast.this, exp.Column) and src.column_type(cast.this) == "string" \
                and (NUMERIC.match(target) or target.startswith(("date", "timestamp", "boolean"))):  # fmt: skip
            at = _cast_keyword(src, cast, "TRY_CAST")
            if at is not None:
                sites.append(at)
    at = _choice(rng, sites)
    if at is None:
        return None
    tok = src.tokens[at]
    return [Edit(tok.start, tok.end, _kw(tok.text, "CAST"))]


_WIDE = re.compile(r"^(bigint|long|double|float|decimal|numeric)\b")


@mutator("runtime.arithmetic.numeric_overflow")
def narrowing_cast(src, rng):
    """A CAST of a BIGINT, DOUBLE or DECIMAL column to a wide type written as INT (its large values overflow)."""
    sites = []
    for cast in _column_casts(src):
        target = cast.args["to"].sql(dialect="spark").lower()
        if _WIDE.match(src.column_type(cast.this) or "") and _WIDE.match(target) \
                and _cast_keyword(src, cast, "CAST") is not None:  # fmt: skip
            sites.append(cast)
    cast = _choice(rng, sites)
    return None if cast is None else _retyped(src, cast, "INT")


@mutator("runtime.collection.index_out_of_bounds")
def unsafe_element_at(src, rng):
    """try_element_at(a, i) written as element_at(a, i): an array shorter than i fails instead of giving NULL."""
    exp = _exp()
    sites = []
    for node in src.tree.find_all(exp.Bracket):
        if node.args.get("safe"):
            first, _ = src.token_span(node)
            tok = src.tokens[first]
            if tok.text.lower() == "try_element_at":
                sites.append(tok)
    tok = _choice(rng, sites)
    return None if tok is None else [Edit(tok.start, tok.end, tok.text[len("try_") :])]


@mutator("runtime.subquery.scalar_subquery_too_many_rows")
def scalar_subquery_keeps_rows(src, rng):
    """A scalar subquery loses what made it one row: its aggregate (SELECT MAX(x) -> SELECT x) or its LIMIT 1."""
    exp = _exp()
    sites = []
    for sub in src.tree.find_all(exp.Subquery):
        select = sub.this
        if isinstance(sub.parent, exp.From | exp.Join | exp.In | exp.Exists | exp.SetOperation | exp.With | exp.CTE) \
                or not isinstance(select, exp.Select) or len(select.expressions) != 1 \
                or select.args.get("group") or select.args.get("from_") is None:  # fmt: skip
            continue
        item = select.expressions[0]
        item = item.this if isinstance(item, exp.Alias) else item
        limit = select.args.get("limit")
        if isinstance(limit, exp.Limit) and isinstance(limit.expression, exp.Literal) and limit.expression.name == "1":
            i = _clause_token(src, "LIMIT", src.span(select)[0], src.span(select)[1])
            if i is not None:
                sites.append(_delete_with_space_before(src, src.tokens[i].start, src.name_span(limit.expression)[1]))
        elif isinstance(item, exp.AggFunc) and function_name(item) in {"max", "min", "sum", "avg", "any_value", "first"} \
                and isinstance(item.this, exp.Column) and not item.find(exp.Distinct):  # fmt: skip
            sites.append(Edit(*src.span(item), src.text(item.this)))
    edit = _choice(rng, sites)
    return None if edit is None else [edit]


# ---------------------------------------------------------------------------------------------- on rows
# Bugs in a constant argument that Spark compiles when the first row is formatted or matched (a datetime
# pattern, a regex, a time zone): they pass the analyzer, and their leaves are marked ``on_rows`` so that the
# filter runs them on its sandbox's rows.
TIME_ZONE_CALLS = {"from_utc_timestamp": 1, "to_utc_timestamp": 1, "convert_timezone": None}  # None: any argument


def _inside(src: Source, tok) -> Edit:
    """The text between a string literal's quotes, as written (an edit that would keep it)."""
    return Edit(tok.start + 1, tok.end - 1, src.sql[tok.start + 1 : tok.end - 1])


def _patterns(src: Source) -> list[Edit]:
    """The datetime patterns of the query: the second argument of a formatting or parsing call."""
    return [_inside(src, tok) for _, position, tok in src.string_arguments(DATETIME_PATTERN_CALLS) if position == 1]


@mutator("platform.unsupported.unsupported_feature")
def window_reads_alias(src, rng):
    """A window reads an earlier item's alias instead of its expression (SUM(x) AS total, RANK() OVER (ORDER BY
    total)): Spark resolves lateral aliases, but not inside a window."""
    exp = _exp()
    columns, sites = _names_in_scope(src), []
    for select in _selects(src):
        items = select.expressions
        for i, item in enumerate(items):
            alias = item.args.get("alias") if isinstance(item, exp.Alias) else None
            inner = item.this if alias is not None else None
            if inner is None or not re.fullmatch(r"[A-Za-z_]\w*", alias.name) or alias.name.lower() in columns:
                continue  # an alias that is also a column name resolves to the column: no error
            for later in items[i + 1 :]:
                for window in later.find_all(exp.Window):
                    sites += [(node, alias.name) for node in window.walk() if node is not window and node == inner]
    site = _choice(rng, sites)
    if site is None:
        return None
    start, end = src.span(site[0])
    return [Edit(start, end, site[1])]


@mutator("platform.unsupported.behaviour_change")
def week_year_pattern(src, rng):
    """A datetime pattern's year written YYYY (the week-based year), which Spark 3+ refuses to format or parse."""
    sites = [e for e in _patterns(src) if "yyyy" in e.text]
    site = _choice(rng, sites)
    if site is None:
        return None
    at = site.start + site.text.index("yyyy")
    return [Edit(at, at + 4, "YYYY")]


@mutator("types.expression.invalid_datetime_pattern")
def iso_t_pattern(src, rng):
    """The blank between a pattern's date and time written as an unquoted ISO T (yyyy-MM-ddTHH:mm)."""
    sites = [site.start + m.start(1) for site in _patterns(src) for m in re.finditer(r"d( )[Hh]", site.text)]
    at = _choice(rng, sites)
    return None if at is None else [Edit(at, at + 1, "T")]


@mutator("runtime.cast.datetime_parse_failure")
def unsafe_to_timestamp(src, rng):
    """try_to_timestamp / try_to_date written without try_: a string that does not match the pattern fails."""
    toks = src.tokens
    sites = [t for i, t in enumerate(toks[:-1])
             if t.text.lower() in ("try_to_timestamp", "try_to_date") and toks[i + 1].kind == "L_PAREN"]  # fmt: skip
    tok = _choice(rng, sites)
    return None if tok is None else [Edit(tok.start, tok.end, tok.text[len("try_") :])]


@mutator("types.expression.invalid_argument_value")
def regex_unbalanced(src, rng):
    """A regex loses the ) that closes a group (or the ] of a class): Spark cannot compile the pattern."""
    toks = src.tokens
    regexes = [tok for _, position, tok in src.string_arguments(REGEX_CALLS) if position == 1]
    regexes += [toks[i + 1] for i, t in enumerate(toks[:-1])
                if t.text.lower() in ("rlike", "regexp") and toks[i + 1].kind == "STRING"]  # x RLIKE 'pattern'  # fmt: skip
    sites = []
    for tok in regexes:
        if src.sql[tok.start] in "'\"":
            site = _inside(src, tok)
            closes = [m.start() for m in re.finditer(r"(?<!\\)\)", site.text)] \
                or [m.start() for m in re.finditer(r"(?<!\\)\]", site.text)]  # fmt: skip
            sites += [site.start + c for c in closes]
    at = _choice(rng, sites)
    return None if at is None else [Edit(at, at + 1, "")]


@mutator("types.expression.invalid_argument_value")
def time_zone_typo(src, rng):
    """A region time zone misspelt (America/Los Angeles, Europe/Berln), which Spark cannot resolve."""
    sites = []
    for name, position, tok in src.string_arguments(TIME_ZONE_CALLS):
        wanted, site = TIME_ZONE_CALLS[name], _inside(src, tok)
        if (wanted is None or position == wanted) and re.fullmatch(r"[A-Z][A-Za-z]+/[A-Z][A-Za-z_]+", site.text):
            sites.append(site)
    site = _choice(rng, sites)
    if site is None:
        return None
    region, city = site.text.split("/")
    wrong = city.replace("_", " ", 1) if "_" in city else _typo(city, rng)
    return None if wrong is None else [Edit(site.start, site.end, f"{region}/{wrong}")]
