"""Deterministic repairs: one named rule per kind of error whose repair the error itself makes (nearly)
certain. A rule reads the failing SQL and Spark's dry-run error and proposes candidate SQL texts, most
likely first; it never decides — every candidate is verified by the analyzer (``repair.service``).

Rules, in order (``RULES``):
- ``suggestion``: an unresolved column -> Spark's own "Did you mean" list and the schema's columns, the
  fewest character edits first (``sql.diff.char_distance``), at the position Spark names;
- ``table_name``: an unknown table -> the closest tables of the schema;
- ``function_name``: an unknown function -> the closest built-in functions;
- ``ambiguous_reference``: an ambiguous column -> each qualified name Spark lists (by its table's name alone
  first), a table the line reads other columns of first;
- ``missing_group_by``: a non-aggregated expression -> appended to a GROUP BY; ``group_by_clause``: aggregates
  and no GROUP BY -> ``GROUP BY`` the other items; ``where_to_having``: an aggregate in WHERE -> HAVING;
- ``group_by_position``: a GROUP BY position out of range or naming an aggregate -> the select items it may
  have meant, the one at that slot's place first;
- ``data_type``: an unsupported (misspelt) type name -> the closest Spark types;
- ``cast_type``: a CAST Spark refuses -> the types a value of the source type is most often cast to;
- ``trailing_comma``: Spark's trailing comma before FROM -> that comma deleted;
- ``first_row``: a query cut off at ``rn =`` where ``rn`` is a ``ROW_NUMBER()`` alias -> ``rn = 1``;
- ``comma_join``: a syntax error at ``ON`` after a comma-separated table -> the comma written ``JOIN``;
- ``clause_order``: a WHERE after GROUP BY -> before it; an ORDER BY before GROUP BY -> after it (and HAVING);
- ``cte_name``: a duplicated CTE name -> a definition renamed to a name the query reads and nothing defines;
- ``nested_aggregate``: ``MIN(MAX(x))`` -> ``MIN(x)``, then ``MAX(x)``; ``distinct_window``: DISTINCT in a window
  aggregate -> deleted; ``date_literal``: ``20190201`` compared with a date -> ``'2019-02-01'``;
  ``in_subquery_star``: ``x IN (SELECT * ...)`` -> ``SELECT x``;
- ``select_top``: ``SELECT TOP n`` -> ``LIMIT n``; ``limit_offset``: ``LIMIT a, b`` -> ``LIMIT b [OFFSET a]``;
- ``brackets``: a T-SQL ``[name]`` -> ``name``;
- ``keyword``: a misspelt keyword near a syntax error, ``GROUP``/``ORDER`` without ``BY``, a doubled keyword;
- ``unclosed_string``: a line up to a syntax error with an odd number of quotes -> the missing closing quote
  before an ``AS alias``, a ``,`` or ``)``, or at the end of the line;
- ``punctuation``: one-character edits (a parenthesis, comma or quote inserted or deleted) on the lines up
  to a syntax error's position.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlfix.filtering.dryrun import DryRun
from sqlfix.sql.diff import char_distance
from sqlfix.sql.names import backquoted

_POSITION = re.compile(r"line (\d+),? pos (\d+)")
_BACKTICKED = re.compile(r"`((?:[^`]|``)*)`")
KEYWORDS = ("SELECT", "FROM", "WHERE", "GROUP", "ORDER", "BY", "HAVING", "JOIN", "LEFT", "RIGHT", "INNER", "OUTER",
            "FULL", "CROSS", "ON", "AS", "AND", "OR", "NOT", "CASE", "WHEN", "THEN", "ELSE", "END", "LIMIT", "UNION",
            "ALL", "DISTINCT", "WITH", "OVER", "PARTITION", "BETWEEN", "LIKE", "IN", "IS", "NULL", "LATERAL", "VIEW",
            "DESC", "ASC", "INTERVAL", "EXISTS", "CAST", "INSERT", "INTO", "TABLE", "VALUES", "OFFSET")  # fmt: skip


@dataclass(frozen=True)
class RepairInput:
    """What a rule may read: the SQL, its dry-run error, the schema's tables (name -> columns) and the
    names of the built-in functions."""

    sql: str
    error: DryRun
    tables: dict[str, tuple[str, ...]] = field(default_factory=dict)
    functions: frozenset[str] = frozenset()

    @property
    def message(self) -> str:
        return self.error.message or ""

    @property
    def condition(self) -> str:
        return self.error.condition or ""

    def position(self) -> tuple[int, int] | None:
        """(line, column), 1-based line and 0-based column, where Spark says the error is."""
        return error_position(self.message)


def error_position(message: str | None) -> tuple[int, int] | None:
    """(line, column) of Spark's ``line N, pos M`` in an error message, if it has one.

    Example:
        >>> error_position("[PARSE_SYNTAX_ERROR] Syntax error at or near ')'. SQLSTATE: 42601 (line 3, pos 19)")
        (3, 19)
    """
    m = _POSITION.search(message or "")
    return (int(m.group(1)), int(m.group(2))) if m else None


Rule = Callable[[RepairInput], list[str]]


def _names(text: str) -> list[str]:
    """Backquoted names in a message, as dotted SQL text (```o`.`x``` -> ``o.x``)."""
    return [m.group(1).replace("``", "`") for m in _BACKTICKED.finditer(text)]


def _dotted(message: str, start: int, end: int | None = None) -> list[str]:
    """Dotted names of the backquoted parts in ``message[start:end]``, grouping ```a`.`b``` runs."""
    part = message[start:end]
    return [".".join(_names(m.group(0))) for m in re.finditer(r"`(?:[^`]|``)*`(?:\.`(?:[^`]|``)*`)*", part)]


def _offset(sql: str, line: int, column: int) -> int:
    lines = sql.split("\n")
    return sum(len(x) + 1 for x in lines[: line - 1]) + column


def _replace_name(sql: str, old: str, new: str, at: int | None = None) -> list[str]:
    """``old`` (a dotted name, any case, optionally backquoted parts) replaced by ``new``: at ``at`` first,
    then every occurrence."""
    parts = [re.escape(p) for p in old.split(".")]
    pattern = re.compile(r"(?<![\w`])" + r"\.".join(rf"`?{p}`?" for p in parts) + r"(?![\w`])", re.I)
    out = []
    matches = list(pattern.finditer(sql))
    if at is not None:
        for m in matches:
            if m.start() <= at < max(m.end(), m.start() + 1) or m.start() == at:
                out.append(sql[: m.start()] + new + sql[m.end() :])
                break
    if matches:
        out.append(pattern.sub(new, sql))
    return out


def suggestion(inp: RepairInput) -> list[str]:
    if not inp.condition.startswith(("UNRESOLVED_COLUMN", "UNRESOLVED_FIELD", "UNRESOLVED_MAP_KEY")):
        return []
    names = _dotted(
        inp.message, 0, inp.message.find("cannot be resolved") if "cannot be resolved" in inp.message else None
    )
    if not names:
        return []
    bad = names[0]
    prefix = bad.rsplit(".", 1)[0] + "." if "." in bad else ""
    spark = _dotted(inp.message, inp.message.find("Did you mean")) if "Did you mean" in inp.message else []
    # Spark's list as given, and each with the qualifier the query wrote (or none); then the schema's columns
    # so qualified: Spark's first suggestion may be another table's column while the one a letter away exists.
    pool = spark + [prefix + o.rsplit(".", 1)[-1] for o in spark]
    pool += [prefix + c for cols in inp.tables.values() for c in cols]
    options = list(dict.fromkeys(pool))
    name = bad.rsplit(".", 1)[-1]
    ranked = [o for _, o in sorted(enumerate(options), key=lambda io: (
        char_distance(name, io[1].rsplit(".", 1)[-1]), not io[1].lower().startswith(prefix.lower()), io[0]))][:6]  # fmt: skip
    pos = inp.position()
    at = _offset(inp.sql, *pos) if pos else None
    out = []
    for option in ranked:
        out += _replace_name(inp.sql, bad, option, at)
    return out


def table_name(inp: RepairInput) -> list[str]:
    if not inp.condition.startswith("TABLE_OR_VIEW_NOT_FOUND") or not inp.tables:
        return []
    names = _dotted(inp.message, 0, inp.message.find("cannot be found") if "cannot be found" in inp.message else None)
    if not names:
        return []
    bad = names[0].lower()
    known = sorted(inp.tables)
    pool = known if "." in bad else sorted({t.split(".")[-1] for t in known} | set(known))
    close = difflib.get_close_matches(bad, pool, n=3, cutoff=0.6)
    if not close and "." in bad:  # the database is right, the table is misspelt (or the other way round)
        close = [t for t in known if t.split(".")[-1] == bad.split(".")[-1] or t.split(".")[0] == bad.split(".")[0]]
        close = difflib.get_close_matches(bad, close, n=3, cutoff=0.0)
    out = []
    for option in close:
        out += _replace_name(inp.sql, names[0], option)
    return out


def function_name(inp: RepairInput) -> list[str]:
    if not inp.condition.startswith("UNRESOLVED_ROUTINE") or not inp.functions:
        return []
    names = _names(inp.message)
    if not names:
        return []
    bad = names[0]
    close = difflib.get_close_matches(bad.lower(), sorted(inp.functions), n=8, cutoff=0.55)
    close.sort(key=lambda f: char_distance(bad, f))  # the name it extends before one merely similar
    out = []
    pattern = re.compile(rf"(?<![\w`.])`?{re.escape(bad)}`?(?=\s*\()", re.I)
    for option in close:
        new = option.upper() if bad.isupper() else option
        if pattern.search(inp.sql):
            out.append(pattern.sub(new, inp.sql))
    return out


def ambiguous_reference(inp: RepairInput) -> list[str]:
    if not inp.condition.startswith("AMBIGUOUS_REFERENCE"):
        return []
    split = inp.message.find("could be")
    bad = _dotted(inp.message, 0, split)
    options = _dotted(inp.message, split) if split >= 0 else []
    if not bad or not options:
        return []
    pos = inp.position()
    at = _offset(inp.sql, *pos) if pos else None
    line = inp.sql.split("\n")[pos[0] - 1] if pos and pos[0] <= inp.sql.count("\n") + 1 else ""
    out = []
    for option in sorted(options, key=lambda o: _qualifier_order(o, bad[0], line)):
        parts = option.split(".")  # ``account.id`` before ``spark_catalog.default.account.id``
        for name in dict.fromkeys([".".join(parts[-2:]), option]):
            out += _replace_name(inp.sql, bad[0], name, at)
    return out


def _qualifier_order(option: str, column: str, line: str) -> tuple[bool, bool]:
    """Where a qualified ``option`` of an ambiguous ``column`` goes among the others: a table the error's line
    already reads another column of first (neighbours come from one table), one the line already reads
    this column of last (``t.x = t.x`` compares a column with itself), Spark's order otherwise.

    Example:
        >>> line = "ON a.id = b.ref AND a.kind = kind"
        >>> sorted(["a.kind", "c.kind", "b.kind"], key=lambda o: _qualifier_order(o, "kind", line))
        ['b.kind', 'c.kind', 'a.kind']
    """
    table = option.split(".")[-2] if "." in option else ""
    read = [m.group(1).lower() for m in re.finditer(rf"(?<![\w`])`?{re.escape(table)}`?\.`?(\w+)", line, re.I)]
    column = column.rsplit(".", 1)[-1].lower()
    return column in read, not [r for r in read if r != column]


_CLAUSE_END = re.compile(r"\n?\s*(\bHAVING\b|\bORDER\s+BY\b|\bLIMIT\b|\bWINDOW\b|\bUNION\b|\bQUALIFY\b|\)|;|$)", re.I)


def missing_group_by(inp: RepairInput) -> list[str]:
    if not inp.condition.startswith("MISSING_AGGREGATION"):
        return []
    m = re.search(r'non-aggregating expression "([^"]+)"', inp.message)
    if not m:
        return []
    expr = m.group(1)
    out = []
    for group in re.finditer(r"\bGROUP\s+BY\b", inp.sql, re.I):
        end = _CLAUSE_END.search(inp.sql, group.end() + 1)
        cut = end.start() if end else len(inp.sql)
        out.append(inp.sql[:cut].rstrip() + f", {expr}" + inp.sql[cut:])
    return out


def select_top(inp: RepairInput) -> list[str]:
    m = re.search(r"\bSELECT(?:\s+DISTINCT)?(\s+TOP\s+(\d+))(?=\s)", inp.sql, re.I)
    if not m:
        return []
    body = inp.sql[: m.start(1)] + inp.sql[m.end(1) :]  # the text around TOP n stays as it was
    trimmed = body.rstrip().rstrip(";").rstrip()
    if re.search(r"\bLIMIT\s+\d+\s*$", trimmed, re.I):  # the query already has its LIMIT: TOP goes
        return [body]
    return [f"{trimmed}\nLIMIT {m.group(2)}"]


def limit_offset(inp: RepairInput) -> list[str]:
    m = re.search(r"\bLIMIT\s+(\d+)\s*,\s*(\d+)", inp.sql, re.I)
    if not m:
        return []
    offset, count = m.group(1), m.group(2)
    head, tail = inp.sql[: m.start()], inp.sql[m.end() :]
    out = [f"{head}LIMIT {count}{tail}"] if int(offset) == 0 else []
    return out + [f"{head}LIMIT {count} OFFSET {offset}{tail}"]


def _window(inp: RepairInput, before: int = 3) -> range:
    lines = inp.sql.split("\n")
    pos = inp.position()
    last = min(len(lines), pos[0]) if pos else len(lines)
    return range(max(0, last - 1 - before), last)


def keyword(inp: RepairInput) -> list[str]:
    if not inp.condition.startswith("PARSE_SYNTAX_ERROR"):
        return []
    lines = inp.sql.split("\n")
    out = []
    for i in _window(inp):
        line = lines[i]
        if line.lstrip().startswith("--"):
            continue
        for m in re.finditer(r"\b(GROUP|ORDER)\b(?!\s+BY\b)", line, re.I):
            out.append(
                _with_line(lines, i, line[: m.end()] + (" by" if m.group(1).islower() else " BY") + line[m.end() :])
            )
        for m in re.finditer(r"\b([A-Za-z]+)\s+\1\b", line):
            if m.group(1).upper() in KEYWORDS:
                out.append(_with_line(lines, i, line[: m.start()] + m.group(1) + line[m.end() :]))
        for m in re.finditer(r"\b[A-Za-z]{3,}\b", line):
            word = m.group(0)
            if word.upper() in KEYWORDS:
                continue
            for kw in difflib.get_close_matches(word.upper(), KEYWORDS, n=2, cutoff=0.75):
                new = kw if word.isupper() else kw.lower()
                out.append(_with_line(lines, i, line[: m.start()] + new + line[m.end() :]))
    return out


def _with_line(lines: list[str], i: int, new: str) -> str:
    return "\n".join(lines[:i] + [new] + lines[i + 1 :])


def punctuation(inp: RepairInput) -> list[str]:
    if not inp.condition.startswith(("PARSE_SYNTAX_ERROR", "UNCLOSED_BRACKETED_COMMENT", "PARSE_EMPTY_STATEMENT")):
        return []
    lines = inp.sql.split("\n")
    out = []
    for i in reversed(_window(inp)):
        line = lines[i]
        if line.lstrip().startswith("--"):
            continue
        end = len(line.rstrip())
        code_end = line.find("--") if "--" in line else end
        bounds = sorted(
            {end, code_end}
            | {m.start() for m in re.finditer(r"(?<=\w)(?=\W)|(?<=\))(?=\W)", line[:code_end])}
            | {m.end() for m in re.finditer(r"'(?:[^'\\]|\\.)*'", line[:code_end])}  # after a string literal
        )
        for char in (")", ",", "(", "'"):
            # a call's ``)`` before a comparison first: ``COUNT(x) > 1`` is the likelier slip than ``COUNT(x > 1)``
            compares = [] if char != ")" else [b for b in bounds if _closes_call_before_comparison(line, b, code_end)]
            for b in compares + [b for b in reversed(bounds) if b not in compares]:
                out.append(_with_line(lines, i, line[:b] + char + line[b:]))
        for m in re.finditer(r"[(),']", line[:code_end]):
            out.append(_with_line(lines, i, line[: m.start()] + line[m.end() :]))
    return out


# Where a literal's closing quote most often went missing: before its alias, before the next , or ) (right
# before it, then before the spaces that precede it: ``' ', 1`` is likelier than ``'' , 1``).
_ALIAS, _COMMA = re.compile(r"\s+AS\s+\w", re.I), re.compile(r"\s*[,)]")


def _code(line: str) -> str:
    """A line without its comments (block comments blanked, so offsets hold)."""
    line = re.sub(r"/\*.*?\*/", lambda m: " " * len(m.group(0)), line)
    return line.split("--")[0].rstrip()


def unclosed_string(inp: RepairInput) -> list[str]:
    """A syntax error after a line with an odd number of quotes -> the quote a literal lost, put back: before
    its ``AS alias``, before the first ``,`` or ``)`` after it, or at the end of the line. Such a line may be
    far above the error (the literals after it re-pair up to where Spark stops), so every line up to the
    error with an odd count is a suspect: the first three and the last three.

    Example:
        >>> error = DryRun("error", "PARSE_SYNTAX_ERROR", message="Syntax error at or near 'c'. (line 3, pos 23)")
        >>> [c.split("\\n")[2] for c in unclosed_string(RepairInput("SELECT x\\nFROM t\\nWHERE y IN ('a', 'b, 'c')", error))]
        ["WHERE y IN ('a'', 'b, 'c')", "WHERE y IN ('a', 'b, 'c')'", "WHERE y IN ('a', 'b', 'c')", "WHERE y IN ('a', 'b, 'c'')"]
    """
    if not inp.condition.startswith("PARSE_SYNTAX_ERROR"):
        return []
    lines = inp.sql.split("\n")
    pos = inp.position()
    quotes = {}
    for i, line in enumerate(lines[: min(len(lines), pos[0]) if pos else len(lines)]):
        code = _code(line)
        quotes[i] = (code, [m.start() for m in re.finditer(r"\\.|'", code) if m.group(0) == "'"])
    odd = [i for i, (_, q) in quotes.items() if len(q) % 2]
    out = []
    for i in sorted(set(odd[:3] + odd[-3:]), reverse=True):
        (code, at), line = quotes[i], lines[i]
        for q in at:
            alias, comma = _ALIAS.search(code, q + 1), _COMMA.search(code, q + 1)
            ends = ([alias.start()] if alias else []) + ([comma.end() - 1, comma.start()] if comma else [])
            for b in dict.fromkeys([*ends, len(code)]):
                out.append(_with_line(lines, i, line[:b] + "'" + line[b:]))
    return list(dict.fromkeys(out))


def _closes_call_before_comparison(line: str, b: int, code_end: int) -> bool:
    """Whether a comparison follows position ``b`` and the innermost ``(`` still open there is a call's.

    Example:
        >>> line = "HAVING COUNT(o.id > 1 AND (a = 2"
        >>> [_closes_call_before_comparison(line, b, len(line)) for b in (line.index(" >"), line.index(" = 2"))]
        [True, False]
    """
    if not re.match(r"\s*(?:[=<>]|!=)", line[b:code_end]):
        return False
    opened: list[int] = []
    for j, c in enumerate(line[:b]):
        if c == "(":
            opened.append(j)
        elif c == ")" and opened:
            opened.pop()
    return bool(opened) and opened[-1] > 0 and (line[opened[-1] - 1].isalnum() or line[opened[-1] - 1] == "_")


# Whitespace or one comment. A block comment ends at its first */ (a lazy ``/\*.*?\*/`` anchored to the end
# would run from an early comment to the last one, over the code between them).
_GAP = r"(?:\s|--[^\n]*(?:\n|$)|/\*(?:[^*]|\*(?!/))*\*/)"


def trailing_comma(inp: RepairInput) -> list[str]:
    """Spark's TRAILING_COMMA_IN_SELECT -> the last comma before the position it names deleted."""
    pos = inp.position()
    if not inp.condition.startswith("TRAILING_COMMA_IN_SELECT") or pos is None:
        return []
    before = inp.sql[: _offset(inp.sql, *pos)]
    m = re.search(rf",(?={_GAP}*$)", before)
    return [] if m is None else [inp.sql[: m.start()] + inp.sql[m.end() :]]


def brackets(inp: RepairInput) -> list[str]:
    """A T-SQL ``[name]`` near a syntax error at ``[`` -> ``name`` (backquoted where it is not plain), on the
    lines up to the error's position."""
    if not inp.condition.startswith("PARSE_SYNTAX_ERROR") or "near '['" not in inp.message:
        return []
    lines = inp.sql.split("\n")
    out = []
    for i in reversed(_window(inp)):
        new = re.sub(r"\[([^\[\]\n]+)\]", lambda m: m.group(1) if re.fullmatch(r"[A-Za-z_]\w*", m.group(1))
                     else backquoted(m.group(1)), lines[i])  # fmt: skip
        if new != lines[i]:
            out.append(_with_line(lines, i, new))
    return out


SPARK_TYPES = ("STRING", "INT", "INTEGER", "BIGINT", "SMALLINT", "TINYINT", "DOUBLE", "FLOAT", "DECIMAL", "BOOLEAN",
               "DATE", "TIMESTAMP", "TIMESTAMP_NTZ", "BINARY", "VARCHAR", "CHAR", "LONG", "SHORT", "BYTE", "REAL",
               "NUMERIC", "DEC", "INTERVAL", "ARRAY", "MAP", "STRUCT", "VARIANT")  # fmt: skip


def data_type(inp: RepairInput) -> list[str]:
    """An unsupported (misspelt) type name -> the closest Spark types, fewest character edits first."""
    if not inp.condition.startswith("UNSUPPORTED_DATATYPE"):
        return []
    m = re.search(r'data type "([^"(<]+)', inp.message)
    if not m:
        return []
    bad = m.group(1).strip()
    pattern = re.compile(rf"(?<![\w`]){re.escape(bad)}(?![\w`])", re.I)
    found = pattern.search(inp.sql)
    if not found:
        return []
    written = found.group(0)
    close = sorted(SPARK_TYPES, key=lambda t: (char_distance(bad.upper(), t), t))[:3]
    return [pattern.sub(t if written.isupper() or not written.islower() else t.lower(), inp.sql) for t in close]


# What a value of each type is most often cast to in analytics SQL, likeliest first (for ``cast_type``).
_CAST_TO = {"TIMESTAMP": ("DATE", "STRING"), "TIMESTAMP_NTZ": ("DATE", "STRING"), "DATE": ("TIMESTAMP", "STRING"),
            "STRING": ("DATE", "TIMESTAMP", "BIGINT", "DOUBLE"), "BOOLEAN": ("STRING", "INT"), "BINARY": ("STRING",)}  # fmt: skip
_NUMBER_TO = ("STRING", "BIGINT", "DOUBLE")
_NUMBERS = {"TINYINT", "SMALLINT", "INT", "BIGINT", "FLOAT", "DOUBLE", "DECIMAL"}


def cast_type(inp: RepairInput) -> list[str]:
    """A CAST Spark refuses (``cannot cast "TIMESTAMP" to "BOOLEAN"``) -> each written cast to that type given
    the types a value of the source type is most often cast to (the type the author meant is not in the
    error: these candidates rank low when more than one verifies).

    Example:
        >>> from types import SimpleNamespace as NS
        >>> inp = NS(condition="DATATYPE_MISMATCH.CAST_WITH_CONF_SUGGESTION", sql="SELECT CAST(t.at AS boolean) d",
        ...          message='Cannot resolve ... cannot cast "TIMESTAMP" to "BOOLEAN" with ANSI mode on.')
        >>> cast_type(inp)
        ['SELECT CAST(t.at AS date) d', 'SELECT CAST(t.at AS string) d']
    """
    m = re.search(r'cannot cast "([^"]+)" to "([^"]+)"', inp.message)
    if not inp.condition.startswith("DATATYPE_MISMATCH.CAST") or not m:
        return []
    source, target = m.group(1).upper(), m.group(2)
    wanted = _CAST_TO.get(source.split("(")[0], _NUMBER_TO if source.split("(")[0] in _NUMBERS else ())
    out = []
    for found in re.finditer(rf"\bAS\s+({re.escape(target)})\s*\)", inp.sql, re.I):
        written = found.group(1)
        for t in wanted:
            if t != target.upper():
                out.append(inp.sql[: found.start(1)] + (t if written.isupper() else t.lower()) + inp.sql[found.end(1) :])
    return out


def group_by_position(inp: RepairInput) -> list[str]:
    """A GROUP BY position out of range, or one naming an aggregate -> each select item it may have meant:
    the item at that slot's place first; as a position where the other keys are positions (or the lone key
    was a position out of range), else as the item's expression."""
    m = re.match(r"GROUP_BY_POS_(OUT_OF_RANGE|AGGREGATE)", inp.condition)
    n = re.search(r"GROUP BY (?:position )?(\d+)", inp.message)
    if not m or not n:
        return []
    from sqlglot import exp

    from sqlfix.sql.source import Source

    src = Source(inp.sql, {})
    try:
        selects = list(src.tree.find_all(exp.Select))
    except Exception:  # noqa: BLE001 - what sqlglot cannot read has no position to repair
        return []
    out = []
    for select in selects:
        group = select.args.get("group")
        keys = list(group.expressions) if group is not None else []
        for slot, key in enumerate(keys):
            if not (isinstance(key, exp.Literal) and key.name == n.group(1) and "start" in key.meta):
                continue
            start, end = src.name_span(key)
            items = select.expressions
            taken = {k.name for k in keys if isinstance(k, exp.Literal)}
            # positions where the other keys are positions, or where the lone key was one out of range (a
            # position that named an aggregate stands, alone, for the expression the author grouped by)
            others = sum(isinstance(k, exp.Literal) for k in keys) - 1
            as_positions = others > 0 or (len(keys) == 1 and m.group(1) == "OUT_OF_RANGE")
            order = sorted(range(len(items)), key=lambda i: (i != slot, i))
            for i in order:
                item = items[i]
                if item.find(exp.AggFunc) is not None or str(i + 1) in taken:
                    continue
                if as_positions:
                    text = str(i + 1)
                else:
                    try:
                        text = src.text(item.this if isinstance(item, exp.Alias) else item)
                    except ValueError:
                        continue
                out.append(inp.sql[:start] + text + inp.sql[end:])
    return out


def _tokens(sql: str) -> list | None:
    """``sql.source`` tokens of the SQL, or None where sqlglot cannot tokenise it (nothing to repair by them)."""
    from sqlfix.sql.source import Source

    try:
        return Source(sql, {}).tokens
    except Exception:  # noqa: BLE001 - sqlglot's tokenizer error: no tokens
        return None


def _calls(toks: list) -> list[tuple[int, int, int]]:
    """(name, ``(``, matching ``)``) token indexes of every call in ``sql.source`` tokens."""
    out = []
    for i in range(len(toks) - 1):
        if toks[i + 1].kind == "L_PAREN" and re.fullmatch(r"\w+", toks[i].text):
            depth = toks[i + 1].depth
            close = next((j for j in range(i + 2, len(toks)) if toks[j].kind == "R_PAREN" and toks[j].depth == depth), None)
            if close is not None:
                out.append((i, i + 1, close))
    return out


def _unwrap(sql: str, toks: list, call: tuple[int, int, int]) -> str:
    """The SQL with one call's name, ``(`` and ``)`` deleted: ``MAX(x)`` -> ``x``."""
    from sqlfix.sql.source import Edit, splice

    name, _, close = call
    return splice(sql, [Edit(toks[name].start, toks[name + 1].end, ""), Edit(toks[close].start, toks[close].end, "")])


def nested_aggregate(inp: RepairInput) -> list[str]:
    """An aggregate directly inside another (``MIN(MAX(x))``) -> the inner call deleted (``MIN(x)``: the outer
    one is what the alias usually names), then the outer one.

    Example:
        >>> from types import SimpleNamespace as NS
        >>> nested_aggregate(NS(condition="NESTED_AGGREGATE_FUNCTION", sql="SELECT MIN(MAX(t.at)) AS first_at FROM t"))
        ['SELECT MIN(t.at) AS first_at FROM t', 'SELECT MAX(t.at) AS first_at FROM t']
    """
    if not inp.condition.startswith("NESTED_AGGREGATE_FUNCTION"):
        return []
    from sqlfix.sql.features import AGGREGATES

    toks = _tokens(inp.sql)
    if toks is None:
        return []
    aggregates = [c for c in _calls(toks) if toks[c[0]].text.lower() in AGGREGATES]
    pairs = [(outer, inner) for outer in aggregates for inner in aggregates if inner[0] == outer[1] + 1]
    return [_unwrap(inp.sql, toks, inner) for _, inner in pairs] + [_unwrap(inp.sql, toks, outer) for outer, _ in pairs]


_ENDS_SELECT = {"UNION", "INTERSECT", "EXCEPT", "SEMICOLON"}
_AFTER_GROUP_BY = {"HAVING", "ORDER_BY", "LIMIT", "WINDOW", "QUALIFY", "SORT_BY", "CLUSTER_BY", "DISTRIBUTE_BY"}


def group_by_clause(inp: RepairInput) -> list[str]:
    """A SELECT that mixes aggregates with other items and has no GROUP BY (``MISSING_GROUP_BY``) ->
    ``GROUP BY`` its other items after its FROM / WHERE: by position, then by expression.

    Example:
        >>> from types import SimpleNamespace as NS
        >>> sql = "WITH d AS (\\n  SELECT a.day, COUNT(*) AS n, MAX(a.x) OVER () AS m\\n  FROM a\\n)\\nSELECT * FROM d"
        >>> print(group_by_clause(NS(condition="MISSING_GROUP_BY", sql=sql))[0])
        WITH d AS (
          SELECT a.day, COUNT(*) AS n, MAX(a.x) OVER () AS m
          FROM a
          GROUP BY 1
        )
        SELECT * FROM d
    """
    if not inp.condition.startswith("MISSING_GROUP_BY"):
        return []
    toks = _tokens(inp.sql)
    if toks is None:
        return []
    aggregates = _aggregate_finder(toks)
    out = []
    for s, select in enumerate(toks):
        if select.kind != "SELECT":
            continue
        d = select.depth
        end = next((j for j in range(s + 1, len(toks)) if toks[j].depth < d
                    or (toks[j].depth == d and toks[j].kind in _ENDS_SELECT)), len(toks))  # fmt: skip
        same = [j for j in range(s + 1, end) if toks[j].depth == d]
        frm = next((j for j in same if toks[j].kind == "FROM"), None)
        if frm is None or any(toks[j].kind == "GROUP_BY" for j in same):
            continue
        first = s + 2 if toks[s + 1].kind == "DISTINCT" else s + 1
        bounds = [first] + [j + 1 for j in same if j < frm and toks[j].kind == "COMMA"] + [frm + 1]
        items = [(a, b - 1) for a, b in zip(bounds, bounds[1:], strict=False)]
        keys = [(n, a, b) for n, (a, b) in enumerate(items, 1)  # not aggregates, not windows
                if not aggregates(a, b) and not any(toks[j].kind == "OVER" for j in range(a, b))]  # fmt: skip
        if not keys or not any(aggregates(a, b) for a, b in items):
            continue
        stop = next((j for j in same if j > frm and toks[j].kind in _AFTER_GROUP_BY), end)
        cut = toks[stop - 1].end
        indent = re.match(r"[ \t]*", inp.sql[inp.sql.rfind("\n", 0, select.start) + 1 :]).group(0)

        def expression(a: int, b: int, d: int = d) -> str:  # an item without its alias
            alias = next((j for j in range(a, b) if toks[j].kind == "ALIAS" and toks[j].depth == d), b)
            return inp.sql[toks[a].start : toks[alias - 1].end]

        for keys_text in (", ".join(str(n) for n, _, _ in keys), ", ".join(expression(a, b) for _, a, b in keys)):
            out.append(f"{inp.sql[:cut]}\n{indent}GROUP BY {keys_text}{inp.sql[cut:]}")
    return out


def _aggregate_finder(toks: list):
    """A test of whether tokens ``a`` to ``b`` (exclusive) hold an aggregate call that is not a window's."""
    from sqlfix.sql.features import AGGREGATES

    calls = {c[0]: c for c in _calls(toks)}

    def aggregates(a: int, b: int) -> bool:
        return any(j in calls and toks[j].text.lower() in AGGREGATES
                   and (calls[j][2] + 1 >= len(toks) or toks[calls[j][2] + 1].kind != "OVER") for j in range(a, b))  # fmt: skip

    return aggregates


_CLAUSES = {"WHERE", "GROUP_BY", "HAVING", "ORDER_BY", "LIMIT", "WINDOW", "QUALIFY", "SORT_BY", "CLUSTER_BY",
            "DISTRIBUTE_BY"} | _ENDS_SELECT  # fmt: skip


def _clause_end(toks: list, start: int, d: int) -> int:
    """The token after the clause that begins at token ``start`` (at depth ``d``): the next clause keyword of
    that depth, the ``)`` that closes it, or the end."""
    return next((j for j in range(start + 1, len(toks)) if toks[j].depth < d
                 or (toks[j].depth == d and toks[j].kind in _CLAUSES)), len(toks))  # fmt: skip


def _same_select(toks: list, a: int, b: int) -> bool:
    """Whether tokens ``a`` < ``b`` (at one depth) belong to one SELECT: no SELECT, set operator or ``;``
    of that depth between them, and nothing shallower."""
    d = toks[a].depth
    return all(toks[j].depth > d or (toks[j].depth == d and toks[j].kind not in _ENDS_SELECT | {"SELECT"})
               for j in range(a + 1, b))  # fmt: skip


def _line_break(sql: str, at: int) -> str:
    """What separates a clause put before offset ``at``: a line break and ``at``'s indent where ``at``
    begins its line, else a space."""
    line = sql[sql.rfind("\n", 0, at) + 1 : at]
    return "\n" + line if "\n" in sql[:at] and not line.strip() else " "


def clause_order(inp: RepairInput) -> list[str]:
    """A syntax error from a clause out of order -> the clause moved where Spark wants it: a WHERE written
    after GROUP BY (or after HAVING) goes before the GROUP BY; an ORDER BY written before GROUP BY goes after
    the GROUP BY and its HAVING.

    Example:
        >>> from types import SimpleNamespace as NS
        >>> print(clause_order(NS(condition="PARSE_SYNTAX_ERROR", sql="SELECT a, COUNT(*)\\nFROM t\\nGROUP BY a WHERE b > 1"))[0])
        SELECT a, COUNT(*)
        FROM t
        WHERE b > 1
        GROUP BY a
        >>> clause_order(NS(condition="PARSE_SYNTAX_ERROR", sql="SELECT a FROM t ORDER BY a GROUP BY a HAVING COUNT(*) > 1"))
        ['SELECT a FROM t GROUP BY a HAVING COUNT(*) > 1 ORDER BY a']
    """
    if not inp.condition.startswith("PARSE_SYNTAX_ERROR"):
        return []
    from sqlfix.sql.source import Edit, splice

    toks = _tokens(inp.sql)
    if toks is None:
        return []
    out = []
    for i, t in enumerate(toks):
        d = t.depth
        if t.kind == "WHERE" and i:
            g = next((j for j in range(i - 1, -1, -1) if toks[j].depth <= d and (toks[j].depth < d
                      or toks[j].kind in _ENDS_SELECT | {"SELECT", "GROUP_BY"})), None)  # fmt: skip
            if g is None or toks[g].kind != "GROUP_BY" or toks[g].depth != d:
                continue
            end = _clause_end(toks, i, d)
            text = inp.sql[t.start : toks[end - 1].end]
            cut = len(inp.sql[: t.start].rstrip())  # the clause and the whitespace before it (a comment stays)
            out.append(splice(inp.sql, [Edit(toks[g].start, toks[g].start, text + _line_break(inp.sql, toks[g].start)),
                                        Edit(max(cut, toks[i - 1].end), toks[end - 1].end, "")]))  # fmt: skip
        elif t.kind == "ORDER_BY":
            g = _clause_end(toks, i, d)
            if g == len(toks) or toks[g].kind != "GROUP_BY" or toks[g].depth != d or not _same_select(toks, i, g):
                continue
            at = _clause_end(toks, g, d)
            if at < len(toks) and toks[at].kind == "HAVING" and toks[at].depth == d:
                at = _clause_end(toks, at, d)
            text = inp.sql[t.start : toks[g - 1].end]
            gap = inp.sql[toks[g - 1].end : toks[g].start]  # the clause and the whitespace after it (a comment stays)
            out.append(splice(inp.sql, [Edit(t.start, toks[g - 1].end + len(gap) - len(gap.lstrip()), ""),
                                        Edit(toks[at - 1].end, toks[at - 1].end, _line_break(inp.sql, t.start) + text)]))  # fmt: skip
    return out


def where_to_having(inp: RepairInput) -> list[str]:
    """An aggregate in WHERE (``INVALID_WHERE_CONDITION``) -> the conditions that hold one moved to a HAVING
    after the GROUP BY (ANDed into a HAVING already there), the other conditions left in WHERE.

    Example:
        >>> from types import SimpleNamespace as NS
        >>> sql = "SELECT c.id\\nFROM c\\nWHERE c.ok AND COUNT(*) > 1\\nGROUP BY c.id\\nORDER BY 1"
        >>> print(where_to_having(NS(condition="INVALID_WHERE_CONDITION", sql=sql))[0])
        SELECT c.id
        FROM c
        WHERE c.ok
        GROUP BY c.id
        HAVING COUNT(*) > 1
        ORDER BY 1
    """
    if not inp.condition.startswith("INVALID_WHERE_CONDITION"):
        return []
    from sqlfix.sql.source import Edit, splice

    toks = _tokens(inp.sql)
    if toks is None:
        return []
    aggregates = _aggregate_finder(toks)

    out = []
    for w, where in enumerate(toks):
        if where.kind != "WHERE":
            continue
        d, end = where.depth, _clause_end(toks, w, where.depth)
        cuts = [w] + [j for j in range(w + 1, end) if toks[j].depth == d and toks[j].kind == "AND"] + [end]
        parts = [(a + 1, b) for a, b in zip(cuts, cuts[1:], strict=False) if b > a + 1]
        moved = [p for p in parts if aggregates(*p)]
        if not moved:
            continue
        text = [inp.sql[toks[a].start : toks[b - 1].end] for a, b in parts]
        kept = [t for t, p in zip(text, parts, strict=True) if p not in moved]
        having = " AND ".join(t for t, p in zip(text, parts, strict=True) if p in moved)
        edits = [Edit(where.start, toks[end - 1].end, "WHERE " + " AND ".join(kept)) if kept
                 else Edit(toks[w - 1].end if w else where.start, toks[end - 1].end, "")]  # fmt: skip
        at = _clause_end(toks, end, d) if end < len(toks) and toks[end].kind == "GROUP_BY" and toks[end].depth == d else end
        if at < len(toks) and toks[at].kind == "HAVING" and toks[at].depth == d:
            edits.append(Edit(toks[at].end, toks[at].end, f" {having} AND"))
        else:
            indent = re.match(r"[ \t]*", inp.sql[inp.sql.rfind("\n", 0, where.start) + 1 :]).group(0)
            edits.append(Edit(toks[at - 1].end, toks[at - 1].end, f"\n{indent}HAVING {having}"))
        out.append(splice(inp.sql, edits))
    return out


def distinct_window(inp: RepairInput) -> list[str]:
    """DISTINCT in an aggregate over a window (Spark has no distinct window aggregate) -> that DISTINCT
    deleted; one candidate per ``(DISTINCT``, and only the one Spark names verifies."""
    if not inp.condition.startswith("DISTINCT_WINDOW_FUNCTION_UNSUPPORTED"):
        return []
    return [inp.sql[: m.start(1)] + inp.sql[m.end(1) :] for m in re.finditer(r"\(\s*(DISTINCT\s+)", inp.sql, re.I)]


_YYYYMMDD = r"((?:19|20)\d\d)(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])"


def date_literal(inp: RepairInput) -> list[str]:
    """A date written as a number (``received_at >= 20190201``) compared with a DATE or TIMESTAMP -> the
    ISO date string (``'2019-02-01'``), at each place the number is written."""
    if not inp.condition.startswith("DATATYPE_MISMATCH.BINARY_OP_DIFF_TYPES"):
        return []
    types = re.search(r'incompatible types \("(\w+)" and "(\w+)"\)', inp.message)
    if not types or not {"DATE", "TIMESTAMP", "TIMESTAMP_NTZ"} & {types.group(1), types.group(2)}:
        return []
    out = []
    for number in dict.fromkeys(m.group(0) for m in re.finditer(rf"\b{_YYYYMMDD}\b", inp.message.split(" due to ")[0])):
        for m in re.finditer(rf"(?<![\w'.]){number}(?![\w'.])", inp.sql):
            iso = f"'{number[:4]}-{number[4:6]}-{number[6:]}'"
            out.append(inp.sql[: m.start()] + iso + inp.sql[m.end() :])
    return out


def in_subquery_star(inp: RepairInput) -> list[str]:
    """``x IN (SELECT * ...)`` whose subquery has more columns than ``x`` -> ``SELECT x`` where the subquery
    has a column of that name."""
    m = re.search(r'Left hand side columns\(length: 1\): \["([^"]+)"\], right hand side columns\(length: \d+\): \[([^\]]*)\]',
                  inp.message)  # fmt: skip
    if not inp.condition.startswith("DATATYPE_MISMATCH.IN_SUBQUERY_LENGTH_MISMATCH") or not m:
        return []
    name = m.group(1).split(".")[-1]
    if name.lower() not in {c.strip().strip('"').split(".")[-1].lower() for c in m.group(2).split(",")}:
        return []
    stars = re.finditer(r"\bIN\s*\(\s*SELECT\s+(?:DISTINCT\s+)?(\*)", inp.sql, re.I)
    return [inp.sql[: s.start(1)] + name + inp.sql[s.end(1) :] for s in stars]


_CTE = re.compile(r"(?:\bWITH\s+|,\s*)(`?)(\w+)\1\s+AS\s*\(", re.I)
_READ = re.compile(r"\b(?:FROM|JOIN)\s+(`?)(\w+)\1(?![\w.`])", re.I)


def cte_name(inp: RepairInput) -> list[str]:
    """A duplicated CTE name -> one of its definitions renamed to a name the query reads and nothing defines
    (the later definition first: the first one is usually the original). A name that is also a table's
    unqualified name comes last but is tried: dbt names a CTE after the table it reads
    (``source AS (SELECT * FROM stripe.customers), customers AS (...)``)."""
    if not inp.condition.startswith("DUPLICATED_CTE_NAMES"):
        return []
    names = _names(inp.message)
    if not names:
        return []
    dup = names[0].lower()
    defs = [m for m in _CTE.finditer(inp.sql) if m.group(2).lower() == dup]
    defined = {m.group(2).lower() for m in _CTE.finditer(inp.sql)}
    tables = {t.lower() for t in inp.tables}
    bare = {t.split(".")[-1].lower() for t in inp.tables}
    unknown = list(dict.fromkeys(m.group(2) for m in _READ.finditer(inp.sql)
                                 if m.group(2).lower() not in defined | tables))  # fmt: skip
    out = []
    for d in reversed(defs):
        for name in sorted(unknown, key=lambda u: (u.lower() in bare, char_distance(dup, u.lower()))):
            out.append(inp.sql[: d.start(2)] + name + inp.sql[d.end(2) :])
    return out


_TAIL = re.compile(rf"(?:{_GAP}|;)*$")  # whitespace, comments, a semicolon


def first_row(inp: RepairInput) -> list[str]:
    """A filter on a ``ROW_NUMBER()`` alias (the top-of-each-group filter dbt's QUALIFY becomes, ``WHERE _w =
    1``) left without its value -> ``= 1``, the only value such a filter is written with: a query that ends in
    ``name =``, or ``name = :name`` (an unbound parameter where the value was)."""
    if inp.condition.startswith("PARSE_SYNTAX_ERROR") and "end of input" in inp.message:
        end = _TAIL.search(inp.sql).start()
        m = re.search(r"(`?)(\w+)\1\s*=$", inp.sql[:end])
        if m is None:
            return []
        name, candidates = m.group(2), [inp.sql[:end] + " 1" + inp.sql[end:]]
    elif inp.condition.startswith("UNBOUND_SQL_PARAMETER"):
        m = re.search(r"unbound parameter: (\w+)", inp.message)
        if m is None:
            return []
        name = m.group(1)
        candidates = [inp.sql[: p.start(1)] + "1" + inp.sql[p.end(1) :]
                      for p in re.finditer(rf"\b{name}\s*=\s*(:{name})\b", inp.sql)]  # fmt: skip
    else:
        return []
    from sqlglot import exp

    from sqlfix.sql.features import parse

    out = []
    for candidate in candidates:
        try:
            tree = parse(candidate)
        except Exception:  # noqa: BLE001 - sqlglot cannot read it: no candidate
            continue
        if any(isinstance(a.this, exp.Window) and isinstance(a.this.this, exp.RowNumber)
               and a.alias.lower() == name.lower() for a in tree.find_all(exp.Alias)):  # fmt: skip
            out.append(candidate)
    return out


def comma_join(inp: RepairInput) -> list[str]:
    """A syntax error at ``ON`` after a comma-separated table -> that comma written ``JOIN`` (an ON needs one)."""
    pos = inp.position()
    if not inp.condition.startswith("PARSE_SYNTAX_ERROR") or "near 'ON'" not in inp.message or pos is None:
        return []
    before = inp.sql[: _offset(inp.sql, *pos)]
    m = re.search(r"(\s*),(\s*)[\w.`]+(?:\s+(?:AS\s+)?`?\w+`?)?\s*$", before, re.I)
    if m is None:
        return []
    space = "" if m.group(2) else " "
    return [inp.sql[: m.start()] + (m.group(1) or " ") + "JOIN" + space + inp.sql[m.end(1) + 1 :]]


RULES: tuple[tuple[str, Rule], ...] = (
    ("suggestion", suggestion),
    ("table_name", table_name),
    ("function_name", function_name),
    ("ambiguous_reference", ambiguous_reference),
    ("missing_group_by", missing_group_by),
    ("group_by_clause", group_by_clause),
    ("where_to_having", where_to_having),
    ("group_by_position", group_by_position),
    ("data_type", data_type),
    ("cast_type", cast_type),
    ("trailing_comma", trailing_comma),
    ("first_row", first_row),
    ("comma_join", comma_join),
    ("clause_order", clause_order),
    ("cte_name", cte_name),
    ("nested_aggregate", nested_aggregate),
    ("distinct_window", distinct_window),
    ("date_literal", date_literal),
    ("in_subquery_star", in_subquery_star),
    ("select_top", select_top),
    ("brackets", brackets),
    ("limit_offset", limit_offset),
    ("keyword", keyword),
    ("unclosed_string", unclosed_string),
    ("punctuation", punctuation),
)


def propose(inp: RepairInput) -> list[tuple[str, str]]:
    """(rule, candidate SQL) of every rule, in rule order, without repeats or the input itself."""
    seen, out = {inp.sql}, []
    for name, rule in RULES:
        for candidate in rule(inp):
            if candidate not in seen:
                seen.add(candidate)
                out.append((name, candidate))
    return out
