"""Deterministic repairs: one named rule per kind of error whose repair the error itself makes (nearly)
certain. A rule reads the failing SQL and Spark's dry-run error and proposes candidate SQL texts, most
likely first; it never decides — every candidate is verified by the analyzer (``repair.service``).

Rules, in order (``RULES``):
- ``suggestion``: an unresolved column -> Spark's own "Did you mean" list and the schema's columns, the
  fewest character edits first (``ranking.char_distance``), at the position Spark names;
- ``table_name``: an unknown table -> the closest tables of the schema;
- ``function_name``: an unknown function -> the closest built-in functions;
- ``ambiguous_reference``: an ambiguous column -> each qualified name Spark lists;
- ``missing_group_by``: a non-aggregated expression -> appended to a GROUP BY;
- ``group_by_position``: a GROUP BY position out of range or naming an aggregate -> the select items it may
  have meant, the one at that slot's place first;
- ``data_type``: an unsupported (misspelt) type name -> the closest Spark types;
- ``trailing_comma``: Spark's trailing comma before FROM -> that comma deleted;
- ``first_row``: a query cut off at ``rn =`` where ``rn`` is a ``ROW_NUMBER()`` alias -> ``rn = 1``;
- ``comma_join``: a syntax error at ``ON`` after a comma-separated table -> the comma written ``JOIN``;
- ``cte_name``: a duplicated CTE name -> a definition renamed to a name the query reads and nothing defines;
- ``select_top``: ``SELECT TOP n`` -> ``LIMIT n``; ``limit_offset``: ``LIMIT a, b`` -> ``LIMIT b [OFFSET a]``;
- ``brackets``: a T-SQL ``[name]`` -> ``name``;
- ``keyword``: a misspelt keyword near a syntax error, ``GROUP``/``ORDER`` without ``BY``, a doubled keyword;
- ``punctuation``: one-character edits (a parenthesis, comma or quote inserted or deleted) on the lines up
  to a syntax error's position.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlfix.filtering.dryrun import DryRun
from sqlfix.repair.ranking import char_distance

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
    out = []
    for option in options:
        out += _replace_name(inp.sql, bad[0], option, at)
    return out


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
            {end, code_end} | {m.start() for m in re.finditer(r"(?<=\w)(?=\W)|(?<=\))(?=\W)", line[:code_end])}
        )
        for char in (")", ",", "(", "'"):
            for b in reversed(bounds):
                out.append(_with_line(lines, i, line[:b] + char + line[b:]))
        for m in re.finditer(r"[(),']", line[:code_end]):
            out.append(_with_line(lines, i, line[: m.start()] + line[m.end() :]))
    return out


def trailing_comma(inp: RepairInput) -> list[str]:
    """Spark's TRAILING_COMMA_IN_SELECT -> the last comma before the position it names deleted."""
    pos = inp.position()
    if not inp.condition.startswith("TRAILING_COMMA_IN_SELECT") or pos is None:
        return []
    before = inp.sql[: _offset(inp.sql, *pos)]
    m = re.search(r",(?=(?:\s|--[^\n]*(?:\n|$)|/\*.*?\*/)*$)", before, re.S)
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
                     else "`" + m.group(1).replace("`", "``") + "`", lines[i])  # fmt: skip
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


_CTE = re.compile(r"(?:\bWITH\s+|,\s*)(`?)(\w+)\1\s+AS\s*\(", re.I)
_READ = re.compile(r"\b(?:FROM|JOIN)\s+(`?)(\w+)\1(?![\w.`])", re.I)


def cte_name(inp: RepairInput) -> list[str]:
    """A duplicated CTE name -> one of its definitions renamed to a name the query reads and nothing defines
    (the later definition first: the first one is usually the original)."""
    if not inp.condition.startswith("DUPLICATED_CTE_NAMES"):
        return []
    names = _names(inp.message)
    if not names:
        return []
    dup = names[0].lower()
    defs = [m for m in _CTE.finditer(inp.sql) if m.group(2).lower() == dup]
    defined = {m.group(2).lower() for m in _CTE.finditer(inp.sql)}
    known = {t.lower() for t in inp.tables} | {t.split(".")[-1].lower() for t in inp.tables}
    unknown = list(dict.fromkeys(m.group(2) for m in _READ.finditer(inp.sql)
                                 if m.group(2).lower() not in defined | known))  # fmt: skip
    out = []
    for d in reversed(defs):
        for name in sorted(unknown, key=lambda u: char_distance(dup, u.lower())):
            out.append(inp.sql[: d.start(2)] + name + inp.sql[d.end(2) :])
    return out


_TAIL = re.compile(r"(?:\s|--[^\n]*(?:\n|$)|/\*.*?\*/|;)*$", re.S)  # whitespace, comments, a semicolon


def first_row(inp: RepairInput) -> list[str]:
    """A query that ends in ``name =`` where ``name`` is a ``ROW_NUMBER()`` alias (the top-of-each-group filter
    dbt's QUALIFY becomes, ``WHERE _w = 1``) -> ``= 1``, the only value such a filter is written with."""
    if not inp.condition.startswith("PARSE_SYNTAX_ERROR") or "end of input" not in inp.message:
        return []
    end = _TAIL.search(inp.sql).start()
    m = re.search(r"(`?)(\w+)\1\s*=$", inp.sql[:end])
    if m is None:
        return []
    candidate = inp.sql[:end] + " 1" + inp.sql[end:]
    from sqlglot import exp

    from sqlfix.sql.features import parse

    try:
        tree = parse(candidate)
    except Exception:  # noqa: BLE001 - sqlglot cannot read it: no candidate
        return []
    numbered = any(isinstance(a.this, exp.Window) and isinstance(a.this.this, exp.RowNumber)
                   and a.alias.lower() == m.group(2).lower() for a in tree.find_all(exp.Alias))  # fmt: skip
    return [candidate] if numbered else []


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
    ("group_by_position", group_by_position),
    ("data_type", data_type),
    ("trailing_comma", trailing_comma),
    ("first_row", first_row),
    ("comma_join", comma_join),
    ("cte_name", cte_name),
    ("select_top", select_top),
    ("brackets", brackets),
    ("limit_offset", limit_offset),
    ("keyword", keyword),
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
