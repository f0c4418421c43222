"""Schema attachment: each row's referenced tables matched against the catalog's captured CREATE TABLEs, the
version current at the row's time (mining attaches DDL to pairs, the corpus to queries, ``sqlfix fix`` to a
query from the lake)."""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from sqlfix.spark import sql_string
from sqlfix.sql.references import referenced_tables_column

INLINE_CATALOG_MAX = 5000  # table versions inlined into the plan; a larger catalog is joined


def attach_schemas(pairs: DataFrame, schemas: DataFrame, inline_max: int = INLINE_CATALOG_MAX) -> DataFrame:
    """Add ``tables`` and ``schema_ddl``: each catalog table either SQL references, its DDL as of bug_time.

    Both sides count (a misspelt table in the bug SQL is spelt right in the fix). A table matches by full
    name or by its name without the database. Where no definition was captured before bug_time, the
    earliest one is used. A catalog of at most ``inline_max`` table versions is inlined as map literals
    (per-row lookups, no shuffle); a larger one is broadcast and joined.
    """
    catalog = schemas.select("table_name", "ddl", F.unix_micros("captured_at").alias("at"))
    rows = catalog.limit(inline_max + 1).collect()
    if len(rows) <= inline_max:
        return _attach_schemas_inline(pairs, rows)
    return _attach_schemas_joined(pairs, schemas)


def _referenced_names(pairs: DataFrame) -> Column:
    names = referenced_tables_column(F.col("bug_sql"))
    if "fixed_sql" in pairs.columns:
        names = F.array_union(
            names, F.coalesce(referenced_tables_column(F.col("fixed_sql")), F.array().cast("array<string>"))
        )
    return names


def _attach_schemas_inline(pairs: DataFrame, catalog: list) -> DataFrame:
    """The catalog's rows (table_name, ddl, at: captured_at in epoch microseconds) as map literals, written
    as SQL text (one Py4J call, not one per catalog entry)."""
    q = sql_string
    versions: dict[str, list] = {}
    for row in catalog:
        versions.setdefault(row["table_name"], []).append((row["at"], row["ddl"]))
    if not versions:
        empty = pairs.withColumn("tables", F.array().cast("array<string>"))
        return empty.withColumn("schema_ddl", F.lit(None).cast("string"))
    shorts: dict[str, list[str]] = {}
    for name in sorted(versions):
        shorts.setdefault(name.rsplit(".", 1)[-1], []).append(name)

    def version(at, ddl) -> str:
        return f"named_struct('at', timestamp_micros({'NULL' if at is None else int(at)}), 'ddl', {q(ddl)})"

    def oldest_first(v):  # unknown capture times last
        return (v[0] is None, v[0] or 0)

    version_map = "map(" + ", ".join(
        f"{q(name)}, array({', '.join(version(*v) for v in sorted(vs, key=oldest_first))})"
        for name, vs in sorted(versions.items())
    ) + ")"  # fmt: skip
    full = "map(" + ", ".join(f"{q(n)}, array({q(n)})" for n in sorted(versions)) + ")"
    short = "map(" + ", ".join(f"{q(s)}, array({', '.join(map(q, ns))})" for s, ns in sorted(shorts.items())) + ")"
    empty = "CAST(array() AS array<string>)"
    matches = f"transform(_names, r -> array_union(coalesce(element_at({full}, r), {empty}), coalesce(element_at({short}, r), {empty})))"  # fmt: skip
    out = pairs.withColumn("_names", _referenced_names(pairs))
    out = out.withColumn("tables", F.expr(f"sort_array(array_distinct(flatten(coalesce({matches}, array({empty})))))"))
    known = "filter(vs, v -> v.at <= bug_time)"
    pick = f"(CASE WHEN size({known}) > 0 THEN element_at({known}, -1) ELSE element_at(vs, 1) END).ddl"
    per_table = f"transform(transform(tables, t -> element_at({version_map}, t)), vs -> {pick})"
    ddl = f"CASE WHEN size(tables) > 0 THEN array_join({per_table}, {q(';' + chr(10) * 2)}) END"
    return out.withColumn("schema_ddl", F.expr(ddl)).drop("_names")


def _attach_schemas_joined(pairs: DataFrame, schemas: DataFrame) -> DataFrame:
    refs = pairs.select("pair_id", "bug_time", F.explode(_referenced_names(pairs)).alias("ref"))
    cat = schemas.select("table_name", "ddl", "captured_at", F.substring_index("table_name", ".", -1).alias("short"))
    matched = refs.join(F.broadcast(cat), (refs.ref == cat.table_name) | (refs.ref == cat.short))
    pick = Window.partitionBy("pair_id", "table_name").orderBy(
        (F.col("captured_at") <= F.col("bug_time")).desc(),
        F.when(F.col("captured_at") <= F.col("bug_time"), F.col("captured_at")).desc_nulls_last(),
        F.col("captured_at").asc(),
    )
    latest = matched.withColumn("_n", F.row_number().over(pick)).filter(F.col("_n") == 1)
    per_pair = latest.groupBy("pair_id").agg(F.sort_array(F.collect_list(F.struct("table_name", "ddl"))).alias("_t"))
    per_pair = per_pair.select(
        "pair_id",
        F.transform("_t", lambda t: t["table_name"]).alias("tables"),
        F.array_join(F.transform("_t", lambda t: t["ddl"]), ";\n\n").alias("schema_ddl"),
    )
    out = pairs.join(per_pair, "pair_id", "left")
    return out.withColumn("tables", F.coalesce("tables", F.array().cast("array<string>")))
