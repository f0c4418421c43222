"""Table contracts: every table of the suite, declared once.

Jobs never spell a schema: they ask for ``TABLES["query_logs"]`` and hand it to the lake, which creates,
checks and writes by it. ``sqlfix tables`` prints this registry; the README's table is generated from it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pyspark.sql import types as T


@dataclass(frozen=True)
class Column:
    """One column: name, Spark SQL type string, one-line meaning."""

    name: str
    type: str
    doc: str = ""


@dataclass(frozen=True)
class Table:
    """A table contract: columns, merge keys, partition columns and purpose."""

    name: str
    purpose: str
    columns: tuple[Column, ...]
    keys: tuple[str, ...] = ()
    partition_by: tuple[str, ...] = ()
    layer: str = "bronze"
    volatile: tuple[str, ...] = ()  # bookkeeping columns: a merge does not update a row for them alone

    def __post_init__(self) -> None:
        names = [c.name for c in self.columns]
        if len(set(names)) != len(names):
            raise ValueError(f"table {self.name}: duplicate column names")
        missing = [k for k in (*self.keys, *self.partition_by, *self.volatile) if k not in names]
        if missing:
            raise ValueError(f"table {self.name}: keys/partitions {missing} are not columns")

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def spark_schema(self) -> T.StructType:
        """The Spark schema (every column nullable: keys are checked by the lake, not by Parquet)."""
        return T.StructType([T.StructField(c.name, parse_type(c.type), True) for c in self.columns])

    @property
    def arrow_schema(self):  # -> pyarrow.Schema
        """The Arrow schema delta-rs writes (timestamps as UTC microseconds, like Spark's Parquet)."""
        import pyarrow as pa

        return pa.schema([pa.field(f.name, to_arrow(f.dataType), True) for f in self.spark_schema.fields])


_SIMPLE = {
    "string": T.StringType(),
    "bigint": T.LongType(),
    "int": T.IntegerType(),
    "double": T.DoubleType(),
    "boolean": T.BooleanType(),
    "timestamp": T.TimestampType(),
    "date": T.DateType(),
    "binary": T.BinaryType(),
}


def parse_type(text: str) -> T.DataType:
    """Parse a Spark SQL type string without a running Spark session.

    Example:
        >>> parse_type("array<string>").simpleString()
        'array<string>'
        >>> parse_type("map<string, struct<a: int, b: double>>").simpleString()
        'map<string,struct<a:int,b:double>>'
        >>> parse_type("decimal(7, 2)").simpleString()
        'decimal(7,2)'
    """
    text = text.strip()
    low = text.lower()
    if low in _SIMPLE:
        return _SIMPLE[low]
    decimal = re.fullmatch(r"decimal\s*\(\s*(\d+)\s*,\s*(\d+)\s*\)", low)
    if decimal:
        return T.DecimalType(int(decimal.group(1)), int(decimal.group(2)))
    match = re.fullmatch(r"(array|map|struct)\s*<(.*)>", text, flags=re.S | re.I)
    if not match:
        raise ValueError(f"unsupported type {text!r}")
    kind, inner = match.group(1).lower(), match.group(2)
    parts = _split_top(inner)
    if kind == "array":
        return T.ArrayType(parse_type(inner))
    if kind == "map":
        if len(parts) != 2:
            raise ValueError(f"map type needs two parts: {text!r}")
        return T.MapType(parse_type(parts[0]), parse_type(parts[1]))
    fields = []
    for part in parts:
        name, _, typ = part.partition(":")
        fields.append(T.StructField(name.strip(), parse_type(typ)))
    return T.StructType(fields)


def to_arrow(dtype: T.DataType):
    """Arrow type of a Spark type, as Delta stores it.

    Example:
        >>> str(to_arrow(parse_type("array<timestamp>")))
        'list<item: timestamp[us, tz=UTC]>'
    """
    import pyarrow as pa

    simple = {
        T.StringType: pa.string(),
        T.LongType: pa.int64(),
        T.IntegerType: pa.int32(),
        T.DoubleType: pa.float64(),
        T.BooleanType: pa.bool_(),
        T.TimestampType: pa.timestamp("us", tz="UTC"),
        T.DateType: pa.date32(),
        T.BinaryType: pa.binary(),
    }
    for cls, arrow in simple.items():
        if isinstance(dtype, cls):
            return arrow
    if isinstance(dtype, T.DecimalType):
        return pa.decimal128(dtype.precision, dtype.scale)
    if isinstance(dtype, T.ArrayType):
        return pa.list_(to_arrow(dtype.elementType))
    if isinstance(dtype, T.MapType):
        return pa.map_(to_arrow(dtype.keyType), to_arrow(dtype.valueType))
    if isinstance(dtype, T.StructType):
        return pa.struct([pa.field(f.name, to_arrow(f.dataType)) for f in dtype.fields])
    raise ValueError(f"no Arrow type for {dtype}")


def _split_top(text: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += ch == "<"
        depth -= ch == ">"
        if ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def _cols(*specs: tuple[str, str, str]) -> tuple[Column, ...]:
    return tuple(Column(*s) for s in specs)


_LOG_COLUMNS = (
    ("event_id", "string", "unique id of the event (dedupe key)"),
    ("event_time", "timestamp", "when it happened (UTC)"),
    ("user_id", "string", "who"),
    ("task_id", "string", "the script / notebook / job the SQL belongs to"),
    ("action", "string", "execute, save, fix_suggested, fix_accepted, fix_rejected"),
    ("sql_text", "string", "the full SQL submitted or saved"),
    ("status", "string", "success / error / canceled for executions, null otherwise"),
    ("error_message", "string", "the engine's message when status is error"),
    ("engine", "string", "e.g. spark-3.5, spark-4.1, hive-3"),
    ("duration_ms", "bigint", "nullable"),
)

ACTIONS = ("execute", "save", "fix_suggested", "fix_accepted", "fix_rejected")
STATUSES = ("success", "error", "canceled")  # canceled: neither a failure of the SQL nor a fix

TABLES: dict[str, Table] = {}


def register(table: Table) -> Table:
    """Add a contract to ``TABLES`` (names are unique)."""
    if table.name in TABLES:
        raise ValueError(f"table {table.name} declared twice")
    TABLES[table.name] = table
    return table


QUERY_LOGS = register(
    Table(
        name="query_logs",
        purpose="Bronze: every query-log event of the SQL platform, deduplicated on event_id.",
        columns=_cols(
            *_LOG_COLUMNS,
            ("sql_hash", "bigint", "xxhash64 of sql_text: lets the miner compare SQL without reading it"),
            ("event_date", "date", "partition: UTC date of event_time"),
            ("source_file", "string", "file or table the row was ingested from"),
            ("ingested_at", "timestamp", "when the ingest job loaded it"),
        ),
        keys=("event_id",),
        partition_by=("event_date",),
    )
)

QUERY_LOGS_REJECTED = register(
    Table(
        name="query_logs_rejected",
        purpose="Quarantine: log rows that could not be used, with the reason and the raw row.",
        columns=_cols(
            ("reject_id", "string", "sha256 of source and raw row (dedupe key)"),
            ("source_file", "string", "file or table the row came from"),
            ("raw_row", "string", "the row as read (JSON text)"),
            ("reason", "string", "first rule the row broke, e.g. missing_event_id"),
            ("ingested_at", "timestamp", "when the ingest job saw it"),
        ),
        keys=("reject_id",),
    )
)

TABLE_SCHEMAS = register(
    Table(
        name="table_schemas",
        purpose="Bronze: the catalog's CREATE TABLE statements over time, to attach DDL to queries.",
        columns=_cols(
            ("table_name", "string", "lower-case table name as queries reference it"),
            ("ddl", "string", "the CREATE TABLE statement"),
            ("captured_at", "timestamp", "when this definition was captured"),
            ("source_file", "string", "file it was ingested from"),
        ),
        keys=("table_name", "captured_at"),
    )
)

TABLE_SCHEMAS_REJECTED = register(
    Table(
        name="table_schemas_rejected",
        purpose="Quarantine: schema rows that could not be used (unreadable DDL, not a CREATE TABLE, no column list, bad name or JSON).",
        columns=QUERY_LOGS_REJECTED.columns,
        keys=("reject_id",),
    )
)

INGESTED_FILES = register(
    Table(
        name="ingested_files",
        purpose="Bookkeeping: files already ingested (path, content hash), so a folder re-run loads only new ones.",
        columns=_cols(
            ("path", "string", "absolute path of the file"),
            ("sha256", "string", "content hash"),
            ("size_bytes", "bigint", "size"),
            ("target", "string", "table it was loaded into"),
            ("rows_loaded", "bigint", "rows inserted"),
            ("rows_rejected", "bigint", "rows quarantined"),
            ("ingested_at", "timestamp", "when"),
        ),
        keys=("path", "sha256", "target"),
        layer="meta",
        volatile=("ingested_at",),
    )
)

INGEST_WATERMARKS = register(
    Table(
        name="ingest_watermarks",
        purpose="Bookkeeping: how far a table source (e.g. system.query.history) has been ingested.",
        columns=_cols(
            ("source", "string", "the source table as given to --source"),
            ("format", "string", "the log format it was read as"),
            ("watermark", "timestamp", "newest end time read; the next run re-reads from here minus the overlap"),
            ("rows_read", "bigint", "rows the last run read"),
            ("updated_at", "timestamp", "when"),
        ),
        keys=("source", "format"),
        layer="meta",
        volatile=("updated_at",),
    )
)

_PAIR_COLUMNS = (
    ("pair_id", "string", "sha256 of the bug event id: one pair per failed execution"),
    ("user_id", "string", "who"),
    ("task_id", "string", "the task both versions belong to"),
    ("engine", "string", "engine of the failed execution"),
    ("bug_event_id", "string", "the failed execution"),
    ("fix_event_id", "string", "the successful execution or the save that fixed it"),
    ("bug_time", "timestamp", "when it failed"),
    ("fix_time", "timestamp", "when it was fixed"),
    ("bug_sql", "string", "SQL that failed"),
    ("error_message", "string", "what the engine printed, normalised: no plan dump, stack trace or ANSI codes"),
    ("fixed_sql", "string", "SQL that ran (or was saved) after it"),
    ("signal", "string", "run, save or rejected_fix"),
    ("tables", "array<string>", "catalog tables the bug SQL references"),
    ("schema_ddl", "string", "their CREATE TABLE statements as of bug_time"),
    ("changed_lines", "int", "changed lines between bug and fix (the one line diff, sqlfix.sql.diff)"),
    ("bug_lines", "int", "lines of the bug SQL"),
    ("fixed_lines", "int", "lines of the fixed SQL"),
    ("changed_line_ratio", "double", "changed_lines / the longer side's lines"),
    ("category_l1", "string", "taxonomy level 1 of the error (conf/taxonomy.yaml)"),
    ("category_l2", "string", "taxonomy level 2"),
    ("category_l3", "string", "taxonomy leaf id, or unclassified"),
    ("error_condition", "string", "Spark error condition the message names, if any"),
    ("mined_at", "timestamp", "when the mining run wrote it"),
    ("run_id", "string", "the mining run that wrote it"),
)

BUG_PAIRS = register(
    Table(
        name="bug_pairs",
        purpose="Silver: (bug SQL, error message, fixed SQL) pairs mined from the logs, diff within limits.",
        columns=_cols(*_PAIR_COLUMNS),
        keys=("pair_id",),
        layer="silver",
        volatile=("mined_at", "run_id"),
    )
)

BUG_PAIRS_DROPPED = register(
    Table(
        name="bug_pairs_dropped",
        purpose="Silver: mined pairs kept out of bug_pairs, with the reason (diff_too_large, no_change, ...).",
        columns=_cols(*_PAIR_COLUMNS, ("reason", "string", "why it is not in bug_pairs")),
        keys=("pair_id",),
        layer="silver",
        volatile=("mined_at", "run_id"),
    )
)

MINING_RUNS = register(
    Table(
        name="mining_runs",
        purpose="Bookkeeping: each mining run and the bronze watermark it processed up to.",
        columns=_cols(
            ("run_id", "string", "uuid of the run"),
            ("started_at", "timestamp", "when it started"),
            ("watermark", "timestamp", "max ingested_at of query_logs it processed"),
            ("events_scanned", "bigint", "events of the affected tasks it read"),
            ("pairs", "bigint", "pairs written to bug_pairs"),
            ("dropped", "bigint", "pairs written to bug_pairs_dropped"),
        ),
        keys=("run_id",),
        layer="meta",
    )
)

PAIR_VERDICTS = register(
    Table(
        name="pair_verdicts",
        purpose="Silver: the execution filter's verdict on each mined pair (dry run in a schema-only sandbox).",
        columns=_cols(
            ("pair_id", "string", "the pair (bug_pairs.pair_id)"),
            ("verdict", "string", "kept or dropped"),
            ("reason", "string", "kept, bug_passes, fix_fails, statement_kind_changed, refused, too_complex, timeout"),
            ("bug_status", "string", "ok, error, refused, too_complex, timeout (the bug side)"),
            ("bug_condition", "string", "error condition the dry run raised for the bug side"),
            ("bug_message", "string", "the dry run's message for the bug side (no plan dump)"),
            ("bug_stage", "string", "screen, parse, analyze or runtime: where the bug side stopped"),
            ("dryrun_category_l3", "string", "taxonomy leaf of the dry run's message"),
            ("logged_category_l3", "string", "taxonomy leaf of the logged message"),
            ("category_agrees", "boolean", "the dry run's leaf equals the logged one"),
            ("fix_status", "string", "ok, error, ... (the fixed side; null when not checked)"),
            ("fix_condition", "string", "error condition of the fixed side, if it failed"),
            ("fix_message", "string", "message of the fixed side, if it failed"),
            ("runtime_checked", "boolean", "the bug side was also run on generated edge rows"),
            ("spark_version", "string", "the Spark that judged it"),
            ("bug_sql_hash", "bigint", "xxhash64 of bug_sql when judged (a changed pair is judged again)"),
            ("fixed_sql_hash", "bigint", "xxhash64 of fixed_sql when judged"),
            ("batch_id", "string", "the filter run that first judged it (spot checks sample by batch)"),
            ("filtered_at", "timestamp", "when"),
        ),
        keys=("pair_id",),
        layer="silver",
        volatile=("batch_id", "filtered_at"),
    )
)

FILTER_RUNS = register(
    Table(
        name="filter_runs",
        purpose="Bookkeeping: each execution-filter run (a spot-check batch), its counts and throughput.",
        columns=_cols(
            ("batch_id", "string", "uuid of the run"),
            ("started_at", "timestamp", "when it started"),
            ("pairs", "bigint", "pairs judged"),
            ("kept", "bigint", "pairs kept"),
            ("reasons", "string", "JSON: dropped pairs by reason"),
            ("spark_version", "string", "the Spark that judged"),
            ("seconds", "double", "wall time of the judging"),
        ),
        keys=("batch_id",),
        layer="meta",
    )
)

SPOT_CHECKS = register(
    Table(
        name="spot_checks",
        purpose="Gold review: a stratified sample of kept pairs per batch and the reviewers' verdicts.",
        columns=_cols(
            ("batch_id", "string", "the filter batch sampled"),
            ("pair_id", "string", "the pair"),
            ("category_l3", "string", "its taxonomy leaf (a stratum)"),
            ("signal", "string", "run, save or rejected_fix (a stratum)"),
            ("diff", "string", "side-by-side rendering of bug vs fix"),
            ("sampled_at", "timestamp", "when it was drawn"),
            ("verdict", "string", "pass or fail; null until reviewed"),
            ("note", "string", "the reviewer's note"),
            ("reviewer", "string", "who reviewed it"),
            ("reviewed_at", "timestamp", "when"),
        ),
        keys=("batch_id", "pair_id"),
        layer="gold",
    )
)

BATCH_APPROVALS = register(
    Table(
        name="batch_approvals",
        purpose="Gold review: each batch's spot-check pass rate, its confidence interval and the gate's decision.",
        columns=_cols(
            ("batch_id", "string", "the filter batch"),
            ("sampled", "bigint", "pairs in its spot check"),
            ("reviewed", "bigint", "of them reviewed"),
            ("passed", "bigint", "of them passed"),
            ("pass_rate", "double", "passed / reviewed"),
            ("ci_low", "double", "Wilson interval, lower bound"),
            ("ci_high", "double", "Wilson interval, upper bound"),
            ("threshold", "double", "the pass rate the gate asks for"),
            ("approved", "boolean", "the dataset builder takes this batch"),
            ("decided_at", "timestamp", "when the gate ran"),
        ),
        keys=("batch_id",),
        layer="gold",
        volatile=("decided_at",),
    )
)

SQL_CORPUS = register(
    Table(
        name="sql_corpus",
        purpose="Silver: executable SQL (successful runs, .sql files) with its DDL and error features, for generation.",
        columns=_cols(
            ("corpus_id", "string", "sha256 of the normalised SQL (one row per distinct query)"),
            ("sql_text", "string", "the query as written"),
            ("source", "string", "query_logs, file:<path> or table:<name>"),
            ("task_id", "string", "its task (variants of it stay on one side of the dataset split)"),
            ("tables", "array<string>", "catalog tables it reads"),
            ("schema_ddl", "string", "their CREATE TABLE statements"),
            ("features", "array<string>", "error features it holds (sqlfix.sql.features)"),
            ("added_at", "timestamp", "when it entered the corpus"),
            ("source_dialect", "string", "the dialect it was written in (spark for the log; a repository's --dialect)"),
            ("origin", "string", "its file, relative to the imported repository (null for the log)"),
            ("license", "string", "the licence the repository declares (null: none found, or the log)"),
            ("parameters", "array<string>", "query parameters bound to typed literals, as name=literal"),
            ("ddl_origin", "string", "catalog (captured), declared (schema files) or inferred (from the queries)"),
        ),
        keys=("corpus_id",),
        layer="silver",
        volatile=("added_at",),
    )
)

SQL_CORPUS_REJECTED = register(
    Table(
        name="sql_corpus_rejected",
        purpose="Quarantine: corpus candidates that cannot be used (unparseable, not_a_query, reserved_benchmark, "
        "missing_ddl; from a repository also unrendered_jinja, transpile_failed, analysis_failed).",
        columns=_cols(
            ("corpus_id", "string", "sha256 of the normalised SQL"),
            ("sql_text", "string", "the SQL as found"),
            ("source", "string", "where it came from"),
            ("task_id", "string", "its task"),
            ("reason", "string", "unparseable, not_a_query, reserved_benchmark, missing_ddl, unrendered_jinja, "
             "transpile_failed or analysis_failed"),
            ("detail", "string", "the parser's, Jinja's or Spark's message, when there is one"),
            ("added_at", "timestamp", "when it was seen"),
            ("source_dialect", "string", "the dialect it was written in"),
            ("origin", "string", "its file, relative to the imported repository (null for the log)"),
        ),
        keys=("corpus_id",),
        volatile=("added_at",),
    )
)

GENERATION_TARGETS = register(
    Table(
        name="generation_targets",
        purpose="Gold: the leaves each generation run aims at (rare, weak or asked for) and how many pairs each.",
        columns=_cols(
            ("targets_id", "string", "uuid of the targets computation (sqlfix targets)"),
            ("category_l3", "string", "the taxonomy leaf"),
            ("reason", "string", "rare (few kept pairs), weak (low accuracy) or user (asked for)"),
            ("kept_pairs", "bigint", "kept pairs of this leaf (mined and generated) when computed"),
            ("accuracy", "double", "its AST accuracy in the latest evaluation (null: not evaluated)"),
            ("wanted", "bigint", "pairs to generate"),
            ("computed_at", "timestamp", "when"),
        ),
        keys=("targets_id", "category_l3"),
        layer="gold",
    )
)

_GENERATED_COLUMNS = (
    *_PAIR_COLUMNS,
    ("source", "string", "oriented: made by oriented generation"),
    ("generator", "string", "mutator:<name> or llm:<model>"),
    ("target_leaf", "string", "the leaf it was generated for"),
    ("corpus_id", "string", "the sql_corpus query it was made from (= fixed_sql)"),
    ("targets_id", "string", "the generation_targets computation it served"),
)

GENERATED_PAIRS = register(
    Table(
        name="generated_pairs",
        purpose="Silver: verified generated pairs: the bug fails in the targeted leaf, the fix passes, diff in limits.",
        columns=_cols(*_GENERATED_COLUMNS),
        keys=("pair_id",),
        layer="silver",
        volatile=("mined_at", "run_id"),
    )
)

GENERATED_REJECTED = register(
    Table(
        name="generated_rejected",
        purpose="Silver: generated pairs that failed verification, with the reason (bug_passes, wrong_leaf, ...).",
        columns=_cols(*_GENERATED_COLUMNS, ("reason", "string", "why it is not in generated_pairs")),
        keys=("pair_id",),
        layer="silver",
        volatile=("mined_at", "run_id"),
    )
)

GENERATION_RUNS = register(
    Table(
        name="generation_runs",
        purpose="Bookkeeping: each generation run, its targets and its yield per leaf and generator.",
        columns=_cols(
            ("run_id", "string", "uuid of the run"),
            ("started_at", "timestamp", "when"),
            ("generator", "string", "mutators or llm"),
            ("targets_id", "string", "the targets it served"),
            ("candidates", "bigint", "corpus queries recalled"),
            ("generated", "bigint", "pairs generated"),
            ("kept", "bigint", "pairs that passed verification"),
            ("yield_by_leaf", "string", "JSON: leaf -> {generated, kept, yield}"),
            ("rejections", "string", "JSON: reason -> count"),
            ("seconds", "double", "wall time"),
        ),
        keys=("run_id",),
        layer="meta",
    )
)

OPT_PAIRS = register(
    Table(
        name="opt_pairs",
        purpose="Gold: slow query -> verified faster equivalent, with pattern, domain, speed-up, metrics, provenance.",
        columns=_cols(
            ("pair_id", "string", "sha256 of slow and fast SQL"),
            ("iteration", "int", "the ReSTEM iteration that produced it (0: rule-based)"),
            ("seed_id", "string", "the good query the slow one was made from (the split's group)"),
            ("split", "string", "train or validation (drawn per seed query, before any augmentation)"),
            ("domain", "string", "ecommerce, social, hr, analytics, content or star"),
            ("pattern", "string", "the de-optimiser that made the slow query"),
            ("slow_sql", "string", "the slow query"),
            ("fast_sql", "string", "the candidate rewrite"),
            ("candidate", "string", "inverse (the seed), sqlglot (its optimizer) or policy:<model>"),
            ("tier", "string", "the last verification tier reached (allowlist, analyze, small, instances, cost)"),
            ("equivalent", "boolean", "equal results on every instance"),
            ("reason", "string", "why it failed verification (empty when it passed)"),
            ("differs_on", "array<string>", "instances where the results differ"),
            ("speedup", "double", "median slow seconds / median fast seconds on the large instance"),
            ("reward", "double", "log-scaled capped reward (sqlfix.optimize.reward)"),
            ("kept", "boolean", "reward at or above the keep threshold"),
            ("slow_seconds", "double", "median wall time of the slow query"),
            ("fast_seconds", "double", "median wall time of the rewrite"),
            ("slow_metrics", "string", "JSON: stages, input rows/bytes, shuffle bytes of the slow query"),
            ("fast_metrics", "string", "JSON: the same for the rewrite"),
            ("verify_seconds", "string", "JSON: seconds spent per verification tier"),
            ("created_at", "timestamp", "when"),
        ),
        keys=("pair_id",),
        layer="gold",
        volatile=(
            "created_at",
            "verify_seconds",
            "slow_seconds",
            "fast_seconds",
            "speedup",
            "reward",
            "kept",
            "slow_metrics",
            "fast_metrics",
        ),
    )
)

OPT_SEEDS = register(
    Table(
        name="opt_seeds",
        purpose="Silver: good queries drawn from sql_corpus that the de-optimisers slow down (sqlfix optimize seeds).",
        columns=_cols(
            ("seed_id", "string", "<domain>.<corpus_id prefix> (the split's group)"),
            ("domain", "string", "its source's label and its tables' database, or the generated domain it runs on"),
            ("seed_sql", "string", "the query, its tables read by their view names"),
            ("corpus_id", "string", "the sql_corpus row it comes from"),
            ("source", "string", "sql_corpus.source"),
            ("origin", "string", "sql_corpus.origin (its file in the repository)"),
            ("patterns", "array<string>", "the de-optimisers that apply to it"),
            ("split", "string", "train or validation (drawn per seed)"),
            ("schema_fingerprint", "string", "the opt_schemas version of its domain it was checked on"),
            ("rows_small", "bigint", "rows it returns on the first (small) instance"),
            ("added_at", "timestamp", "when it was drawn"),
        ),
        keys=("seed_id",),
        layer="silver",
        volatile=("added_at",),
    )
)

OPT_SEEDS_REJECTED = register(
    Table(
        name="opt_seeds_rejected",
        purpose="Quarantine: sql_corpus queries that are not optimisation seeds, with the reason (sqlfix optimize seeds).",
        columns=_cols(
            ("corpus_id", "string", "the sql_corpus row"),
            ("domain", "string", "the domain it was placed in"),
            ("reason", "string", "reserved_benchmark, too_long, unparseable, unsupported_name, unsupported_type, data_failed, "
             "no_pattern, refused, analysis_failed, nondeterministic, timeout, too_many_rows, runtime_error or no_rows"),
            ("detail", "string", "the error's first line, the table or the name"),
            ("sql_text", "string", "the query as the corpus holds it"),
            ("added_at", "timestamp", "when"),
        ),
        keys=("corpus_id",),
        volatile=("added_at",),
    )
)

OPT_SCHEMAS = register(
    Table(
        name="opt_schemas",
        purpose="Meta: the tables generated for corpus seeds, per domain: columns, key roles, literals, sizes.",
        columns=_cols(
            ("domain", "string", "the seeds' domain"),
            ("view", "string", "the single-part name seeds read the table by"),
            ("source_table", "string", "its name in the corpus"),
            ("spec", "string", "JSON: columns (type, key/ref/value role, key domain, literals), dimension, partition"),
            ("fingerprint", "string", "the domain's spec digest (opt_seeds.schema_fingerprint)"),
        ),
        keys=("domain", "view"),
        layer="meta",
    )
)

OPT_RUNS = register(
    Table(
        name="opt_runs",
        purpose="Bookkeeping: each ReSTEM iteration of sqlfix optimize run: its policy, metrics and checkpoint.",
        columns=_cols(
            ("iteration", "int", "0: the rule-based round; 1..N: policy iterations"),
            ("status", "string", "done (an iteration without a row, or not done, is run again on resume)"),
            ("policy", "string", "the model that sampled (null for the rule-based round)"),
            ("model_path", "string", "the policy fine-tuned at the end of the iteration (the next one samples it)"),
            ("opt_pairs_version", "bigint", "opt_pairs' Delta version after the iteration (its checkpoint)"),
            ("metrics", "string", "JSON: success rate, unique rewrites, pattern mix, rewards, speed-ups, regressions"),
            ("finished_at", "timestamp", "when"),
        ),
        keys=("iteration",),
        layer="meta",
    )
)

_SFT_COLUMNS = (
    ("sample_id", "string", "the pair it comes from (bug_pairs.pair_id) or a generated pair's id"),
    ("split", "string", "train or eval"),
    ("prompt", "string", "the fixer prompt (schema, bug SQL, error message, question)"),
    ("target", "string", "the complete fixed SQL"),
    ("bug_sql", "string", "bug SQL (anonymised like the prompt when enabled)"),
    ("fixed_sql", "string", "fixed SQL (= target)"),
    ("error_message", "string", "error message"),
    ("schema_ddl", "string", "CREATE TABLEs of the tables it reads"),
    ("category_l1", "string", "taxonomy level 1"),
    ("category_l3", "string", "taxonomy leaf"),
    ("signal", "string", "run, save, rejected_fix (mined) or the generator's name"),
    ("changed_lines", "int", "changed lines between bug and fix"),
    ("task_id", "string", "task (leakage groups never straddle the split)"),
    ("leak_group", "string", "pairs sharing a task or a near-identical fix"),
    ("source", "string", "mined or generated"),
    ("batch_id", "string", "the approved filter batch it came from"),
)

SFT_TRAIN = register(
    Table(
        name="sft_train",
        purpose="Gold: the SFT training set (fixer prompt -> fixed SQL); each build is a Delta version.",
        columns=_cols(*_SFT_COLUMNS),
        keys=("sample_id",),
        layer="gold",
    )
)

SFT_EVAL = register(
    Table(
        name="sft_eval",
        purpose="Gold: the evaluation set (natural sample + per-category top-up), leakage-free against sft_train.",
        columns=_cols(*_SFT_COLUMNS),
        keys=("sample_id",),
        layer="gold",
    )
)

SFT_REJECTED = register(
    Table(
        name="sft_rejected",
        purpose="Quarantine: pairs a dataset build left out (reserved_benchmark: they read an evaluation benchmark).",
        columns=_cols(
            ("sample_id", "string", "the pair's id"),
            ("source", "string", "mined or oriented"),
            ("reason", "string", "reserved_benchmark"),
            ("bug_sql", "string", "the pair's failing SQL"),
            ("fixed_sql", "string", "its fix"),
            ("build_id", "string", "the build that left it out"),
        ),
        keys=("sample_id",),
        layer="gold",
    )
)

DATASET_BUILDS = register(
    Table(
        name="dataset_builds",
        purpose="Bookkeeping: each dataset build, its content fingerprint and the Delta versions it wrote.",
        columns=_cols(
            ("build_id", "string", "uuid of the build"),
            ("built_at", "timestamp", "when"),
            ("fingerprint", "string", "sha256 of the samples (an unchanged build writes nothing)"),
            ("train_version", "bigint", "sft_train's Delta version"),
            ("eval_version", "bigint", "sft_eval's Delta version"),
            ("train_rows", "bigint", "samples in sft_train"),
            ("eval_rows", "bigint", "samples in sft_eval"),
            ("duplicates", "bigint", "pairs dropped as duplicates"),
            ("config", "string", "JSON of the split and anonymisation settings"),
        ),
        keys=("build_id",),
        layer="meta",
    )
)

EVAL_RUNS = register(
    Table(
        name="eval_runs",
        purpose="Gold: each model evaluated on an eval set: the model reference, dataset version and metrics.",
        columns=_cols(
            ("eval_run_id", "string", "uuid of the evaluation of one model"),
            ("evaluated_at", "timestamp", "when"),
            ("model_ref", "string", "as given: base, @champion, v3, models:/..., or a folder"),
            ("model_name", "string", "registered model name (null for base or a folder)"),
            ("model_version", "string", "registered version (null for base or a folder)"),
            ("model_path", "string", "the local HF folder that generated"),
            ("trained_on", "string", "the dataset version the model was trained on (its MLflow run)"),
            ("eval_set", "string", "sft_eval@v<N> or file:<name>#<sha256 prefix>"),
            ("samples", "bigint", "samples evaluated"),
            ("exact", "double", "exact match rate (whitespace-normalised)"),
            ("ast", "double", "AST match rate (canonical sqlglot form, and the analyzer accepts it)"),
            ("analysis_pass", "double", "predictions that pass Spark's parser and analyzer"),
            ("error_gone", "double", "predictions that no longer raise the bug's error condition"),
            ("preservation", "double", "mean share of the reference's unchanged lines kept verbatim"),
            ("over_edits", "double", "mean lines changed beyond the reference"),
            ("metrics", "string", "JSON: every metric per taxonomy level, changed-line bucket, signal, source"),
            ("config", "string", "JSON: generation settings"),
            ("mlflow_run_id", "string", "the MLflow run the metrics and plots went to"),
            ("seconds", "double", "wall time of generation and verification"),
            ("samples_per_second", "double", "generation throughput"),
        ),
        keys=("eval_run_id",),
        layer="gold",
    )
)

EVAL_PREDICTIONS = register(
    Table(
        name="eval_predictions",
        purpose="Gold: every prediction of every evaluation, with its per-sample metrics.",
        columns=_cols(
            ("eval_run_id", "string", "eval_runs.eval_run_id"),
            ("sample_id", "string", "the eval sample"),
            ("model_ref", "string", "the model, as given"),
            ("category_l1", "string", "taxonomy level 1"),
            ("category_l2", "string", "taxonomy level 2"),
            ("category_l3", "string", "taxonomy leaf"),
            ("diff_bucket", "string", "the reference's changed lines: 1, 2, 3-5, 6+"),
            ("signal", "string", "run, save, rejected_fix, or the generator"),
            ("source", "string", "mined, generated or file"),
            ("bug_sql", "string", "bug SQL"),
            ("fixed_sql", "string", "reference fix"),
            ("prediction", "string", "the SQL extracted from the model's answer"),
            ("raw_answer", "string", "the model's answer as generated"),
            ("logprob", "double", "mean token log-probability of the answer"),
            ("exact", "boolean", "exact match"),
            ("ast", "boolean", "AST match"),
            ("analysis_pass", "boolean", "passes Spark's parser and analyzer"),
            ("error_gone", "boolean", "no longer raises the bug's error condition"),
            ("preservation", "double", "share of the reference's unchanged lines kept verbatim (null: none)"),
            ("over_edits", "int", "lines changed beyond the reference"),
            ("changed_lines", "int", "the reference's changed lines"),
            ("prediction_condition", "string", "the prediction's error condition, when it fails"),
        ),
        keys=("eval_run_id", "sample_id"),
        layer="gold",
    )
)

FIX_SUGGESTIONS = register(
    Table(
        name="fix_suggestions",
        purpose="Gold: verified fixes for failed queries of a table (sqlfix fix --table), one per event.",
        columns=_cols(
            ("event_id", "string", "the failed execution"),
            ("sql_hash", "bigint", "xxhash64 of the SQL it fixed (a changed query gets a new suggestion)"),
            ("fixed_sql", "string", "the best verified fix (null when none was found)"),
            ("verified", "boolean", "the fix passes Spark's parser and analyzer against the schema"),
            ("source", "string", "which repair or model produced it"),
            ("changed_lines", "int", "lines the fix changes"),
            ("diff", "string", "unified diff from the query to the fix"),
            ("error_condition", "string", "the query's own dry-run error condition"),
            ("last_error", "string", "when no fix was verified: the closest candidate's error"),
            ("model_ref", "string", "the model used (null: deterministic repairs only)"),
            ("suggested_at", "timestamp", "when"),
            ("status", "string", "open, accepted, rejected or edited: the latest suggestion_feedback verdict"),
        ),
        keys=("event_id",),
        layer="gold",
        volatile=("suggested_at",),
    )
)

FEEDBACK_VERDICTS = ("accepted", "rejected", "edited")

SUGGESTION_FEEDBACK = register(
    Table(
        name="suggestion_feedback",
        purpose="Append-only: a person's verdict on a fix suggestion (sqlfix suggestions, or any UI that appends).",
        columns=_cols(
            ("feedback_id", "string", "unique id of this verdict (dedupe key; a UI may use its own)"),
            ("event_id", "string", "the failed execution the suggestion is for (fix_suggestions.event_id)"),
            ("sql_hash", "bigint", "the suggestion's sql_hash: a verdict on an older suggestion is kept, not applied"),
            ("verdict", "string", "accepted, rejected or edited (taken, then changed: the model was not right)"),
            ("user_id", "string", "who gave the verdict"),
            ("edited_sql", "string", "for edited: the SQL the person ran instead (nullable)"),
            ("decided_at", "timestamp", "when the person decided (mining orders it among the log's events)"),
            ("recorded_at", "timestamp", "when it was written"),
        ),
        keys=("feedback_id",),
        layer="gold",
        volatile=("recorded_at",),
    )
)
