"""Real SQL from a checked-out repository: its queries as Spark SQL, with DDL, for ``sql_corpus``.

``sqlfix corpus --repo DIR --dialect D`` walks a repository of warehouse SQL (plain ``.sql`` files, a
bigquery-etl tree, a dbt project) and turns each query into a corpus candidate:

1. **Render.** Text with Jinja (``{{ }}``, ``{% %}``) is rendered in a sandboxed Jinja environment with what
   a dbt or Airflow run would give it: ``ref('m')`` -> ``m``, ``source('s', 't')`` -> ``s.t``, ``config()``
   -> nothing, ``is_incremental()`` -> false, ``var``/``env_var`` -> their defaults, ``ds`` and friends ->
   a fixed date. Anything else (a project macro, ``adapter``) is not guessed: the file is quarantined
   (``unrendered_jinja``) with the name Jinja could not resolve.
2. **Parameters.** ``@name`` (BigQuery), ``:name`` and ``?`` placeholders become typed literals chosen by
   name (``PARAMETER_LITERALS``), recorded in ``parameters``.
3. **Transpile.** Every statement is parsed in the repository's dialect with sqlglot; queries (and the
   query of a ``CREATE VIEW ... AS``) are kept, written as Spark SQL with the project (catalog) part of
   table names dropped; anything else is ``not_a_query``; what sqlglot cannot read is ``unparseable``.
   Spark's parser judges the result: a statement it rejects is ``transpile_failed``.
4. **DDL.** From the repository's schema files (bigquery-etl ``schema.yaml`` ``fields``, dbt ``schema.yml``
   ``models`` and ``sources`` columns), types mapped to Spark by sqlglot (``declared``). A table no schema
   file describes gets the columns the repository's own queries read from it (``inferred``: types guessed
   from names and use, ``INFERRED_TYPES``). A query reading no table with DDL is ``missing_ddl``.
5. **Analysis.** Each query is analysed by Spark against its DDL in the filter's schema-only sandbox (this
   SQL is untrusted like any other: never executed); one it rejects is ``analysis_failed`` with Spark's
   condition. A datetime pattern Spark cannot compile (sqlglot writes some strftime formats as patterns
   with unquoted letters) would fail the query on its first row: ``transpile_failed``, with the pattern.

Symbolic links are not followed and nothing outside the repository is read. Paths are recorded relative to
it (``origin``); the repository's licence, where a ``LICENSE`` file names one, goes with every row.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import sqlglot
import yaml
from sqlglot import exp
from sqlglot.optimizer.scope import traverse_scope

from sqlfix.errors import UsageError
from sqlfix.sql.features import DATETIME_PATTERN_CALLS
from sqlfix.sql.names import backquoted
from sqlfix.sql.source import Source, table_key
from sqlfix.sql.statements import split_statements

DIALECTS = ("bigquery", "snowflake", "spark", "databricks", "trino", "postgres")
SKIPPED_DIRS = frozenset({".git", "target", "dbt_packages", "dbt_modules", "node_modules", "macros", "venv", ".venv",
                          "__pycache__", "logs"})  # fmt: skip
SCHEMA_FILES = "**/*.y*ml"  # schema files are read by their content: bigquery-etl `fields`, dbt `models`/`sources`
FIXED_DATE = "2024-01-15"

# Parameter name pattern -> the Spark literal it becomes (first match wins).
PARAMETER_LITERALS = (
    (re.compile(r"(?i)(timestamp|_ts$|^ts$|_time$|datetime)"), f"TIMESTAMP '{FIXED_DATE} 00:00:00'"),
    (re.compile(r"(?i)(date|^ds$|^day$)"), f"DATE '{FIXED_DATE}'"),
    (re.compile(r"(?i)(^n$|^num_|count$|^count_|limit|days$|hours$|size$|^sample|version$|year$|month$|^id$|_id$|number$)"), "1"),
)
DEFAULT_LITERAL = "'x'"

# Column name pattern -> the type an inferred column gets (first match wins; else STRING).
INFERRED_TYPES = (
    (re.compile(r"(?i)(^is_|^has_|^was_|_flag$|^enabled$|^active$)"), "BOOLEAN"),
    (re.compile(r"(?i)(_timestamp$|^timestamp$|_at$|_ts$|_time$|^ts$|datetime)"), "TIMESTAMP"),
    (re.compile(r"(?i)(_date$|^date$|^day$|^ds$)"), "DATE"),
    (re.compile(r"(?i)(count$|^n_|_n$|^num_|_num$|_days$|_hours$|_seconds$|_ms$|_sec$|^days_|_total$|^total_|"
                r"amount|quantity|_qty$|price|revenue|_sum$|_avg$|_pct$|_rate$|_ratio$|_score$|_value$|^value$)"),
     "DOUBLE"),  # fmt: skip
)
NUMERIC_FUNCTIONS = (exp.Sum, exp.Avg, exp.Stddev, exp.Variance)

# sqlglot maps these BigQuery types to an unscaled Spark DECIMAL; BigQuery's own precision is kept.
BIGQUERY_TYPES = {"NUMERIC": "DECIMAL(38,9)", "BIGNUMERIC": "DECIMAL(38,18)", "BIGDECIMAL": "DECIMAL(38,18)",
                  "GEOGRAPHY": "STRING", "JSON": "STRING", "TIME": "STRING", "INTERVAL": "STRING"}  # fmt: skip


class Problem(Exception):
    """Why one file or statement of a repository cannot be a corpus query: ``reason`` and ``detail``."""

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason, self.detail = reason, detail[:300]


@dataclass
class Candidate:
    """One statement of a repository file on its way to the corpus."""

    origin: str  # repository-relative path
    index: int  # statement number in the file
    sql_text: str = ""  # Spark SQL (or the text as found, for a problem)
    parameters: list[str] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)
    reason: str | None = None
    detail: str | None = None
    ast: exp.Expression | None = field(default=None, repr=False)


# ---------------------------------------------------------------------------------------------- files
def sql_files(root: Path) -> Iterator[Path]:
    """The ``.sql`` files of a repository in path order: hidden, build and package folders (``SKIPPED_DIRS``)
    and symbolic links skipped, so nothing outside ``root`` is read."""
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.startswith("."))
        for name in sorted(files):
            path = Path(folder) / name
            if name.endswith(".sql") and not path.is_symlink():
                yield path


def license_of(root: Path) -> str | None:
    """The licence a repository declares: the first line of its ``LICENSE``/``COPYING`` file.

    Example (not run: reads files): ``license_of(Path("bigquery-etl"))`` -> ``'Mozilla Public License Version 2.0'``
    """
    for name in ("LICENSE", "LICENSE.md", "LICENSE.txt", "LICENCE", "COPYING"):
        path = root / name
        if path.is_file() and not path.is_symlink():
            for line in path.read_text(errors="replace").splitlines():
                if line.strip() and set(line.strip()) - set("=-#* "):
                    return line.strip().strip("#* ")[:100]
    return None


# ---------------------------------------------------------------------------------------------- rendering
class _Target:
    name, schema, database, type = "prod", "analytics", "analytics", "spark"


def _jinja_context() -> dict:
    def ref(*args, **_kw):
        return str(args[-1])

    def source(src, table):
        return f"{src}.{table}"

    def var(name, default=None):
        if default is None:
            raise Problem("unrendered_jinja", f"var({name!r}) has no default")
        return default

    nodash = FIXED_DATE.replace("-", "")
    return {
        "ref": ref, "source": source, "config": lambda *a, **k: "", "is_incremental": lambda: False, "var": var,
        "env_var": lambda name, default="": default, "target": _Target(), "ds": FIXED_DATE, "ds_nodash": nodash,
        "ts": f"{FIXED_DATE}T00:00:00", "execution_date": FIXED_DATE, "submission_date": FIXED_DATE,
        "run_started_at": f"{FIXED_DATE} 00:00:00",
    }  # fmt: skip


RENDERED_NAMES = ("ds", "ds_nodash", "ts", "execution_date", "submission_date", "run_started_at")
_CONFIG_START = re.compile(r"\{\{-?\s*config\s*\(")
_CONFIG_END = re.compile(r"\s*-?\}\}")


def without_config(text: str) -> str:
    r"""``text`` with each ``{{ config(...) }}`` block removed. dbt reads a model's settings from it, and the
    SQL never holds it. Its arguments may call the project's macros (``incremental_predicate(...)``), which
    cannot be rendered here, so the block is cut as written, up to the ``}}`` after its closing parenthesis
    (quotes respected). Where that is not found, the text is returned as it is and rendering names the reason.

    Example:
        >>> without_config("{{ config(alias='t', predicates=[p('x)')]) }}\nselect 1")
        '\nselect 1'
        >>> without_config("{{ config(alias='t' }}select 1")
        "{{ config(alias='t' }}select 1"
    """
    out, at = [], 0
    while found := _CONFIG_START.search(text, at):
        depth, quote, i = 1, None, found.end()
        while i < len(text) and depth:
            ch = text[i]
            if quote:
                quote = None if ch == quote else quote
            elif ch in "'\"":
                quote = ch
            elif ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
            i += 1
        close = _CONFIG_END.match(text, i) if not depth else None
        if close is None:
            return text
        out.append(text[at : found.start()])
        at = close.end()
    return "".join(out) + text[at:]


def _environment():
    import jinja2
    from jinja2.sandbox import SandboxedEnvironment

    return SandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False,
                                extensions=["jinja2.ext.do", "jinja2.ext.loopcontrols"])  # dbt's own two  # fmt: skip


def render(text: str, macros: dict | None = None) -> tuple[str, list[str]]:
    """Text with its Jinja rendered (sandboxed; no undefined name is guessed) and the run variables it used;
    ``macros``: the project's own macros by name (``ProjectMacros``).

    Example:
        >>> render("select * from {{ ref('orders') }} where d = '{{ ds }}' {% if is_incremental() %}and 1{% endif %}")
        ("select * from orders where d = '2024-01-15' ", ["ds='2024-01-15'"])
        >>> render("select {{ dbt_utils.star(ref('x')) }}")
        Traceback (most recent call last):
        ...
        sqlfix.generation.repository.Problem: UndefinedError: 'dbt_utils' is undefined
    """
    if "{{" not in text and "{%" not in text:
        return text, []
    text = without_config(text)
    from jinja2 import meta

    env = _environment()
    context = {**_jinja_context(), **(macros or {})}
    try:
        used = meta.find_undeclared_variables(env.parse(text))
        out = env.from_string(text).render(context)
    except Problem:
        raise
    except Exception as exc:  # noqa: BLE001 - TemplateError, or an include/import with no loader: the file's reason
        raise Problem("unrendered_jinja", f"{type(exc).__name__}: {exc}") from None
    return out, [f"{name}={context[name]!r}" for name in RENDERED_NAMES if name in used]


class ProjectMacros:
    """A dbt repository's own macros, rendered as dbt would call them: the ``.sql`` files under every folder
    named ``macros`` or ``*_macros`` (dbt's ``macros/``, a shared ``dbt_macros/``). A model sees the macros of its own dbt
    project (the nearest folder above it with a ``dbt_project.yml``) over those outside every project. Folders
    are found by walking the repository, never read from a project's settings. A macro file that Jinja cannot
    parse or run on its own (a ``materialization``, a ``test`` block, a call to what only dbt has) is left out
    and listed in ``skipped``; a model that calls one of its macros is then quarantined by the name it lacks.
    A project macro named like a name of the render context (``ref``, ``source``, ``is_incremental``) is not
    what a model calls: the context's own stands for dbt's.

    Example (not run: reads files): ``ProjectMacros(Path("spellbook")).for_file(model)["uniswap_compatible_v2_trades"]``
    """

    def __init__(self, root: Path):
        self.root = Path(root)
        self.skipped: list[str] = []
        self._files: dict[Path, list[Path]] = {}
        for folder, dirs, files in os.walk(self.root, followlinks=False):
            dirs[:] = sorted(d for d in dirs if d == "macros" or (d not in SKIPPED_DIRS and not d.startswith(".")))
            if any(part == "macros" or part.endswith("_macros") for part in Path(folder).relative_to(self.root).parts):
                for name in sorted(files):
                    path = Path(folder) / name
                    if name.endswith(".sql") and not path.is_symlink():
                        self._files.setdefault(self.project_of(path), []).append(path)
        self._built: dict[Path, dict] = {}
        self._loadable: dict[Path, str | None] = {}
        # a project's own ref/source/is_incremental wrap dbt's (builtins.source, run-time state): what a run gives
        # is the render context's, so they are renamed out of the way, never called
        builtins = "|".join(map(re.escape, _jinja_context()))
        self._builtin_macro = re.compile(r"(\{%-?\s*macro\s+)(" + builtins + r")(\s*\()")

    def project_of(self, path: Path) -> Path:
        """The nearest folder above ``path`` (within the repository) that holds a ``dbt_project.yml``, else the root."""
        folder = path.parent
        while folder != self.root and self.root in folder.parents:
            if (folder / "dbt_project.yml").is_file():
                return folder
            folder = folder.parent
        return self.root

    def for_file(self, path: Path) -> dict:
        """The macros a model at ``path`` can call, by name (built once per project)."""
        project = self.project_of(path)
        if project not in self._built:
            files = self._files.get(self.root, []) + (self._files.get(project, []) if project != self.root else [])
            self._built[project] = self._module(files)
        return self._built[project]

    def _module(self, files: list[Path]) -> dict:
        from jinja2.runtime import Macro

        env, context = _environment(), _jinja_context()
        texts = [t for t in (self._loadable_text(path, env, context) for path in files) if t is not None]
        if not texts:
            return {}
        try:  # one module, so that macros call each other
            module = env.from_string("\n".join(texts)).make_module(context)
        except Exception as exc:  # noqa: BLE001 - files that load alone but not together: none of them is used
            self.skipped += [f"{p.relative_to(self.root).as_posix()}: together with the project's other macro files: "
                             f"{type(exc).__name__}: {exc}"[:300] for p in files if self._loadable.get(p) is not None]  # fmt: skip
            return {}
        return {name: value for name, value in vars(module).items() if isinstance(value, Macro)}

    def _loadable_text(self, path: Path, env, context: dict) -> str | None:
        """A macro file's text if Jinja can parse and run it alone (one file that cannot would take every
        other macro with it), once per file."""
        if path not in self._loadable:
            text = self._builtin_macro.sub(r"\1_project_\2\3", path.read_text(errors="replace"))
            try:
                env.from_string(text).make_module(context)
            except Exception as exc:  # noqa: BLE001 - a TemplateError, or a Problem its top level raised
                self.skipped.append(f"{path.relative_to(self.root).as_posix()}: {type(exc).__name__}: {exc}"[:300])
                text = None
            self._loadable[path] = text
        return self._loadable[path]


# ---------------------------------------------------------------------------------------------- parameters
def parameter_literal(name: str) -> str:
    """The Spark literal a query parameter becomes, by its name.

    Example:
        >>> parameter_literal("submission_date"), parameter_literal("sample_id"), parameter_literal("country")
        ("DATE '2024-01-15'", '1', "'x'")
    """
    for pattern, literal in PARAMETER_LITERALS:
        if pattern.search(name):
            return literal
    return DEFAULT_LITERAL


def bind_parameters(tree: exp.Expression) -> list[str]:
    """Replace ``@name``, ``:name`` and ``?`` in ``tree`` by typed literals; what each became, in order."""
    recorded: list[str] = []
    for node in list(tree.find_all(exp.Parameter, exp.Placeholder)):
        name = node.name or "?"
        literal = parameter_literal(name if name != "?" else "value")
        node.replace(sqlglot.parse_one(literal, read="spark"))
        entry = f"{'@' if isinstance(node, exp.Parameter) else ':'}{name}={literal}"
        if entry not in recorded:
            recorded.append(entry)
    return recorded


# ---------------------------------------------------------------------------------------------- statements
def _query_of(statement: exp.Expression) -> exp.Expression | None:
    if isinstance(statement, exp.Query):
        return statement
    if isinstance(statement, exp.Create) and statement.args.get("kind", "").upper() == "VIEW":
        body = statement.expression
        return body if isinstance(body, exp.Query) else None
    return None


def _local_names(tree: exp.Expression) -> set[str]:
    return {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}


def to_spark(tree: exp.Expression) -> exp.Expression:
    """The query with the project (catalog) part of its table names dropped (``project.dataset.table`` ->
    ``dataset.table``, as the sandbox and the generated pairs name tables) and the quotes of identifiers
    that need none in Spark SQL dropped (BigQuery SQL quotes every table name; people writing Spark do not).

    Example:
        >>> to_spark(sqlglot.parse_one("SELECT `order`, `a` FROM `p-1.ds.t`", read="bigquery")).sql("spark")
        'SELECT `order`, a FROM ds.t'
    """
    for table in tree.find_all(exp.Table):
        if table.args.get("catalog") is not None:
            table.set("catalog", None)
    for identifier in tree.find_all(exp.Identifier):
        if identifier.quoted and _plain(identifier.this):
            identifier.set("quoted", False)
    return tree


def _plain(name: str) -> bool:
    """Whether ``name`` reads the same unquoted in Spark SQL: a plain identifier that is no keyword of Spark's."""
    return bool(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name)) and name.upper() not in _keywords()


@functools.cache
def _keywords() -> frozenset[str]:
    """Every word that starts a keyword of sqlglot's Spark tokenizer (``ORDER`` of ``ORDER BY``, type names):
    such a name keeps its quotes."""
    from sqlglot.dialects.spark import Spark

    return frozenset(k.split()[0] for k in Spark.Tokenizer.KEYWORDS if k[:1].isalpha())


def physical_tables(tree: exp.Expression) -> list[str]:
    """The ``db.table`` names a query reads (CTE names excluded), lower-cased, in first-use order."""
    local, out = _local_names(tree), []
    for table in tree.find_all(exp.Table):
        name = table_key(table)
        if name and not (not table.db and name in local) and name not in out:
            out.append(name)
    return out


def statements(origin: str, text: str, dialect: str, macros: dict | None = None) -> list[Candidate]:
    """The candidates of one file: each statement rendered (with the project's ``macros``), bound, transpiled
    (or its problem)."""
    try:
        rendered, used = render(text, macros)
    except Problem as problem:
        return [Candidate(origin, 0, text.strip(), reason=problem.reason, detail=problem.detail)]
    out = []
    for i, text_i in enumerate(split_statements(rendered, dialect)):
        try:
            tree = sqlglot.parse_one(text_i, read=dialect)
        except Exception as exc:  # noqa: BLE001 - any sqlglot failure on foreign SQL is the statement's reason
            out.append(Candidate(origin, i, text_i, reason="unparseable", detail=f"{type(exc).__name__}: {exc}"))
            continue
        query = _query_of(tree)
        if query is None:
            out.append(Candidate(origin, i, tree.sql(dialect=dialect)[:2000], reason="not_a_query",
                                 detail=f"{tree.key.upper()} statement"))  # fmt: skip
            continue
        query = query.copy()
        params = [*used, *bind_parameters(query)]
        try:
            spark_sql = to_spark(query).sql(dialect="spark", pretty=True, unsupported_level=sqlglot.ErrorLevel.RAISE)
        except Exception as exc:  # noqa: BLE001 - sqlglot's UnsupportedError and the like
            out.append(Candidate(origin, i, query.sql(dialect=dialect)[:2000], params, reason="transpile_failed",
                                 detail=f"{type(exc).__name__}: {exc}"))  # fmt: skip
            continue
        try:
            reread = sqlglot.parse_one(spark_sql, read="spark")
        except Exception as exc:  # noqa: BLE001 - sqlglot writes Spark SQL it cannot read back
            out.append(Candidate(origin, i, spark_sql, params, reason="transpile_failed",
                                 detail=f"{type(exc).__name__}: {exc}"))  # fmt: skip
            continue
        out.append(Candidate(origin, i, spark_sql, params, physical_tables(reread), ast=reread))
    return out


# ---------------------------------------------------------------------------------------------- DDL
def spark_type(type_text: str, dialect: str) -> str:
    """A column type of ``dialect`` as Spark writes it (sqlglot's mapping; BigQuery's NUMERIC keeps its scale).

    Example:
        >>> spark_type("INT64", "bigquery"), spark_type("NUMERIC", "bigquery"), spark_type("varchar(20)", "snowflake")
        ('BIGINT', 'DECIMAL(38,9)', 'VARCHAR(20)')
    """
    if dialect == "bigquery" and type_text.strip().upper() in BIGQUERY_TYPES:
        return BIGQUERY_TYPES[type_text.strip().upper()]
    return exp.DataType.build(type_text, dialect=dialect).sql(dialect="spark")


def _quoted(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) else backquoted(name)


def _bigquery_field(f: dict) -> tuple[str, str]:
    """(name, Spark type) of one bigquery-etl ``schema.yaml`` field (RECORD -> STRUCT, REPEATED -> ARRAY)."""
    kind = str(f.get("type", "STRING")).upper()
    if kind in ("RECORD", "STRUCT"):
        inner = ", ".join(f"{_quoted(n)}: {t}" for n, t in (_bigquery_field(x) for x in f.get("fields") or []))
        spark = f"STRUCT<{inner}>" if inner else "STRING"
    else:
        spark = spark_type(kind, "bigquery")
    if str(f.get("mode", "")).upper() == "REPEATED":
        spark = f"ARRAY<{spark}>"
    return str(f["name"]), spark


def read_schema_file(path: Path, root: Path, dialect: str) -> dict[str, list[tuple[str, str | None]]]:
    """Table -> [(column, Spark type or None)] declared by one schema file, read by its content:

    - bigquery-etl ``schema.yaml`` (``fields``): the table is the file's folder and its parent
      (``sql/<project>/<dataset>/<table>/schema.yaml`` -> ``dataset.table``);
    - dbt (``models`` / ``sources``): a model is named by itself, a source table as ``source.table``
      (``identifier`` where given); a column without ``data_type`` gets ``None`` (inferred later).
    Anything else declares nothing.
    """
    text = path.read_text(errors="replace")
    if not re.search(r"(?m)^(fields|models|sources):", text):  # most YAML of a repository is not a schema
        return {}
    try:
        doc = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - a safe loader
    except yaml.YAMLError:
        return {}
    if not isinstance(doc, dict):
        return {}
    out: dict[str, list[tuple[str, str | None]]] = {}
    if isinstance(doc.get("fields"), list):
        rel = path.relative_to(root).parts
        if len(rel) >= 3:
            out[f"{rel[-3]}.{rel[-2]}".lower()] = [_bigquery_field(f) for f in doc["fields"] if isinstance(f, dict) and "name" in f]
        return out

    def columns(entry: dict) -> list[tuple[str, str | None]]:
        cols = []
        for c in entry.get("columns") or []:
            if isinstance(c, dict) and c.get("name"):
                kind = c.get("data_type") or c.get("type")
                try:
                    cols.append((str(c["name"]), spark_type(str(kind), dialect) if kind else None))
                except Exception:  # noqa: BLE001 - a type sqlglot cannot read: inferred like an untyped column
                    cols.append((str(c["name"]), None))
        return cols

    for model in doc.get("models") or []:
        if isinstance(model, dict) and model.get("name"):
            out[str(model["name"]).lower()] = columns(model)
    for src in doc.get("sources") or []:
        if isinstance(src, dict) and src.get("name"):
            for table in src.get("tables") or []:
                if isinstance(table, dict) and table.get("name"):
                    name = table.get("identifier") or table["name"]
                    out[f"{src['name']}.{name}".lower()] = columns(table)
    return out


def declared_tables(root: Path, glob: str, dialect: str) -> dict[str, list[tuple[str, str | None]]]:
    """Every table the repository's schema files declare (a later file adds columns to an earlier one's).
    ``glob`` is relative to ``root`` and stays in it: ``..`` or an absolute pattern is a usage error, and a
    file reached through a symbolic link (to a file or a folder) is not read."""
    if Path(glob).is_absolute() or ".." in Path(glob).parts:
        raise UsageError("--schema-files is a pattern inside the repository", input=glob, hint="e.g. **/schema.yaml")
    inside = root.resolve()
    out: dict[str, list[tuple[str, str | None]]] = {}
    for path in sorted(root.glob(glob)):
        rel = path.relative_to(root)
        if (not path.is_file() or path.resolve() != inside / rel  # a link somewhere on its way
                or any(p in SKIPPED_DIRS or p.startswith(".") for p in rel.parts[:-1])):  # fmt: skip
            continue
        for name, cols in read_schema_file(path, root, dialect).items():
            have = out.setdefault(name, [])
            known = {c.lower() for c, _ in have}
            have.extend(c for c in cols if c[0].lower() not in known and not known.add(c[0].lower()))
    return {name: cols for name, cols in out.items() if cols}


def used_columns(tree: exp.Expression) -> dict[str, dict[str, str]]:
    """Table -> {column: guessed type} a query reads from each physical table: columns qualified by the
    table's alias, and unqualified ones of a scope that reads exactly one table and nothing derived.

    Example:
        >>> used_columns(sqlglot.parse_one("SELECT o.id, SUM(o.amount_eur) FROM s.orders o JOIN s.users u "
        ...                                "ON o.user_id = u.id WHERE u.is_active GROUP BY 1", read="spark"))
        {'s.orders': {'id': 'STRING', 'amount_eur': 'DOUBLE', 'user_id': 'STRING'}, 's.users': {'id': 'STRING', 'is_active': 'BOOLEAN'}}
    """
    out: dict[str, dict[str, str]] = {}
    try:
        scopes = traverse_scope(tree)
    except Exception:  # noqa: BLE001 - sqlglot's scope builder rejects some valid SQL: nothing inferred
        return out
    for scope in scopes:
        tables = {alias: src for alias, src in scope.sources.items() if isinstance(src, exp.Table)}
        only = next(iter(tables.values())) if len(tables) == 1 and len(scope.sources) == 1 else None
        for column in scope.columns:
            if column.args.get("db") is not None:  # a.b.c: a struct field
                continue
            src = tables.get(column.table) if column.table else only
            if src is None or not column.name or column.name == "*":
                continue
            name = table_key(src)
            kind = _guessed_type(column)
            have = out.setdefault(name, {})
            if have.get(column.name) in (None, "STRING"):
                have[column.name] = kind
    return out


def _guessed_type(column: exp.Column) -> str:
    parent = column.parent
    while isinstance(parent, (exp.Paren, exp.Cast)) and parent.parent is not None:
        parent = parent.parent
    return "DOUBLE" if isinstance(parent, NUMERIC_FUNCTIONS) else type_by_name(column.name)


def type_by_name(name: str) -> str:
    """The type an inferred column gets from its name alone (``INFERRED_TYPES``; else STRING).

    Example:
        >>> type_by_name("order_date"), type_by_name("is_paid"), type_by_name("created_at"), type_by_name("sku")
        ('DATE', 'BOOLEAN', 'TIMESTAMP', 'STRING')
    """
    for pattern, kind in INFERRED_TYPES:
        if pattern.search(name):
            return kind
    return "STRING"


def create_table(name: str, columns: list[tuple[str, str]]) -> str:
    """The CREATE TABLE a corpus row carries for ``name`` (every column quoted: real columns are named
    ``order`` or ``date``).

    Example:
        >>> create_table("s.t", [("id", "BIGINT"), ("order", "STRING")])
        'CREATE TABLE s.t (`id` BIGINT, `order` STRING)'
    """
    cols = ", ".join(f"{backquoted(c)} {t}" for c, t in columns)
    return f"CREATE TABLE {name} ({cols})"


@dataclass(frozen=True)
class TableDdl:
    """One table's DDL for the corpus and where it came from (``declared`` or ``inferred``)."""

    name: str
    ddl: str
    origin: str


def repository_catalog(candidates: list[Candidate], declared: dict[str, list[tuple[str, str | None]]]) -> dict[str, TableDdl]:
    """Table -> DDL for every table the candidates read: declared columns (an untyped one gets the type its
    use suggests), else the columns the queries read from it (``used_columns``)."""
    used: dict[str, dict[str, str]] = {}
    for c in candidates:
        if c.ast is not None:
            for name, cols in used_columns(c.ast).items():
                have = used.setdefault(name, {})
                for col, kind in cols.items():
                    if have.get(col) in (None, "STRING"):
                        have[col] = kind
    out: dict[str, TableDdl] = {}
    for name in sorted({t for c in candidates for t in c.tables}):
        if name in declared:
            guessed = used.get(name, {})
            lowered = {k.lower(): v for k, v in guessed.items()}
            cols = [(col, kind or lowered.get(col.lower()) or type_by_name(col)) for col, kind in declared[name]]
            typed_all = all(kind for _, kind in declared[name])
            out[name] = TableDdl(name, create_table(name, cols), "declared" if typed_all else "inferred")
        elif used.get(name):
            out[name] = TableDdl(name, create_table(name, sorted(used[name].items())), "inferred")
    return out


def with_ddl(candidate: Candidate, catalog: dict[str, TableDdl]) -> tuple[str | None, str | None]:
    """(schema_ddl, ddl_origin) of one candidate: its tables' DDL joined as the corpus stores it, and
    ``declared`` when every one was declared, ``inferred`` otherwise; (None, None) when it reads a table
    without DDL."""
    found = [catalog.get(t) for t in candidate.tables]
    if not found or any(f is None for f in found):
        return None, None
    origin = "declared" if all(f.origin == "declared" for f in found) else "inferred"
    return ";\n\n".join(f.ddl for f in found), origin


# ---------------------------------------------------------------------------------------------- the import
@dataclass
class Imported:
    """A repository's candidates, each with its DDL, ready for the corpus (``rows``), and the catalog."""

    candidates: list[Candidate]
    catalog: dict[str, TableDdl]
    files: int
    macros_skipped: list[str] = field(default_factory=list)  # macro files Jinja could not load (``ProjectMacros``)


def read_repository(root: Path, dialect: str, schema_glob: str = SCHEMA_FILES, reserved: dict | None = None,
                    bar=None, paths: list[Path] | None = None) -> Imported:  # fmt: skip
    """Every statement of the repository's ``.sql`` files (``paths``: ``sql_files(root)`` when not given) as a
    candidate (steps 1-4 of the module's list): a problem found here is the candidate's ``reason``;
    ``reserved`` (``dataset.reserved``) marks a query over an evaluation benchmark's tables
    ``reserved_benchmark`` before any DDL is made for it."""
    from sqlfix.sql.references import is_reserved

    if dialect not in DIALECTS:
        raise UsageError(f"unknown dialect {dialect!r}", hint=f"one of {', '.join(DIALECTS)}")
    root = Path(root)
    if not root.is_dir():
        raise UsageError("not a folder", input=str(root), hint="--repo DIR: a checked-out repository")
    quiet = _quiet_sqlglot()
    try:
        files, candidates, macros = 0, [], ProjectMacros(root)
        for path in sql_files(root) if paths is None else paths:
            files += 1
            text = path.read_text(errors="replace")
            own = macros.for_file(path) if "{{" in text or "{%" in text else None
            candidates.extend(statements(path.relative_to(root).as_posix(), text, dialect, own))
            if bar is not None:
                bar.update(1)
        for c in candidates:
            if c.reason is None and reserved and is_reserved(c.tables, reserved):
                c.reason, c.detail, c.ast = "reserved_benchmark", ", ".join(c.tables), None
        kept = [c for c in candidates if c.reason is None]
        catalog = repository_catalog(kept, declared_tables(root, schema_glob, dialect))
    finally:
        quiet()
    return Imported(candidates, catalog, files, macros.skipped)


def analyse(imported: Imported, judge, bar=None) -> None:
    """Step 5: load the repository's DDL into the judge's sandbox and dry-run every candidate still without
    a reason on the judge's threads; Spark's parser rejecting one is ``transpile_failed``, its analyzer
    ``analysis_failed`` (with the condition), a table Spark refuses to create ``missing_ddl``."""
    from concurrent.futures import ThreadPoolExecutor

    from sqlfix.sql.names import name_problem

    refused: dict[str, str] = {}
    quiet = _quiet_sqlglot()
    try:
        for table in imported.catalog.values():
            problems = [p for p in [name_problem(table.name, parts=2)] if p] or judge.box.load(table.ddl)
            if problems:
                refused[table.name] = problems[0]
    finally:
        quiet()
    todo = []
    for c in imported.candidates:
        if c.reason is not None:
            continue
        bad = [t for t in c.tables if t in refused or t not in imported.catalog]
        if bad:
            c.reason = "missing_ddl"
            c.detail = "; ".join(f"{t}: {refused.get(t, 'no schema file and no column read from it')}" for t in bad)
        else:
            todo.append(c)

    def one(c: Candidate):
        result = judge.side(c.sql_text)
        if bar is not None:
            bar.update(1)
        return result

    with ThreadPoolExecutor(max_workers=max(1, judge.threads), thread_name_prefix="sqlfix-import") as pool:
        results = list(pool.map(one, todo))
    patterns: dict[str, str | None] = {}
    for c, result in zip(todo, results, strict=True):
        if not result.ok:
            c.reason = "transpile_failed" if result.stage == "parse" else "analysis_failed"
            c.detail = f"{result.condition or result.status}: {_first_line(result.message)}"
        elif (bad := bad_pattern(judge.box.spark, c.sql_text, patterns)) is not None:
            c.reason, c.detail = "transpile_failed", bad


def _first_line(message: str | None) -> str:
    return re.sub(r"^\[[A-Z_.]+\]\s*", "", (message or "").split("\n")[0])


def bad_pattern(spark, sql_text: str, seen: dict[str, str | None]) -> str | None:
    """Why Spark refuses a datetime pattern of the query, or None. The analyzer accepts any pattern; Spark
    compiles it on the first row, so a pattern sqlglot wrote from a strftime format Spark has no letter for
    (``%Y-%m-%dT%H`` -> ``yyyy-MM-ddTHH``, a literal ``UTC``) would fail every run of the query. Each distinct
    pattern is tried once (``seen``), as a value formatting one timestamp: never as SQL text."""
    from pyspark.sql import functions as F

    for name, position, tok in Source(sql_text).string_arguments(DATETIME_PATTERN_CALLS):
        if position != 1:
            continue
        if tok.text not in seen:
            try:
                spark.range(1).select(F.date_format(F.lit(dt.datetime(2024, 1, 15, 12, 30)), tok.text)).collect()
                seen[tok.text] = None
            except Exception as exc:  # noqa: BLE001 - Spark's refusal, whatever its class, is the reason
                seen[tok.text] = _first_line(str(exc))
        if seen[tok.text] is not None:
            return f"datetime pattern {tok.text!r} of {name}: {seen[tok.text]}"
    return None


def rows(imported: Imported, name: str, dialect: str, license: str | None) -> list[dict]:
    """One dict per candidate with the corpus columns a repository gives (``sql_text``, ``source`` =
    ``repo:<name>``, ``task_id`` = ``repo:<name>:<origin>#<statement>``, ``tables``, ``schema_ddl``,
    ``source_dialect``, ``origin``, ``license``, ``parameters``, ``ddl_origin``, ``reason``, ``detail``)."""
    out = []
    for c in imported.candidates:
        ddl, ddl_origin = with_ddl(c, imported.catalog) if c.reason is None else (None, None)
        out.append({
            "sql_text": c.sql_text, "source": f"repo:{name}", "task_id": f"repo:{name}:{c.origin}#{c.index}",
            "tables": c.tables, "schema_ddl": ddl, "source_dialect": dialect, "origin": c.origin, "license": license,
            "parameters": c.parameters, "ddl_origin": ddl_origin, "reason": c.reason, "detail": c.detail,
        })  # fmt: skip
    return out


def _quiet_sqlglot():
    """sqlglot logs a warning for every statement it falls back on (procedures, scripting): silence it
    while a repository is read; returns the undo."""
    import logging

    log = logging.getLogger("sqlglot")
    level = log.level
    log.setLevel(logging.ERROR)
    return lambda: log.setLevel(level)
