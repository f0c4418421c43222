"""Oriented generation: which leaves to augment, which corpus queries can carry their bugs, the pairs.

``targets``: rare leaves (fewer kept pairs than ``rare_below``), weak leaves (AST accuracy below
``weak_below`` in the latest evaluation, with at least ``min_eval`` samples) and leaves the user names;
only leaves with an error feature are targets. ``recall``: per target, the corpus queries holding all its
features, at most ``per_group`` per task and per table set, in a seeded order. ``mutate``: each candidate
through its leaf's mutators. ``verify``: each pair through the execution filter's judge and the
classifier; kept only when the bug fails in the targeted leaf and the fix passes.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections import Counter, defaultdict

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.window import Window

from sqlfix.generation.mutators import for_leaf
from sqlfix.sql.names import is_identifier
from sqlfix.sql.source import Source, parse_schema
from sqlfix.taxonomy.classify import classify


def leaf_accuracy(metrics_json: str | None) -> dict[str, tuple[float, int]]:
    """Leaf -> (AST accuracy, samples) from an ``eval_runs.metrics`` JSON.

    Example:
        >>> leaf_accuracy('{"by_category_l3": {"a.b.c": {"n": 4, "ast": 0.25}}}')
        {'a.b.c': (0.25, 4)}
    """
    data = json.loads(metrics_json or "{}")
    return {
        leaf: (float(m.get("ast") or 0.0), int(m.get("n") or 0)) for leaf, m in data.get("by_category_l3", {}).items()
    }


def targets(
    taxonomy,
    kept: dict[str, int],
    accuracy: dict[str, tuple[float, int]],
    *,
    rare_below: int,
    weak_below: float,
    min_eval: int,
    per_leaf: int,
    max_targets: int | None = None,
    user: list[str] | None = None,
    generatable: set[str] | None = None,
    acceptance: dict[str, tuple[float, int]] | None = None,
    accepted_below: float = 0.0,
    min_feedback: int = 1,
) -> list[dict]:
    """The target leaves, rarest first: (category_l3, reason, kept_pairs, accuracy, wanted).

    A leaf is weak when its AST accuracy in the latest evaluation is below ``weak_below`` (over at least
    ``min_eval`` samples), or when people accepted fewer than ``accepted_below`` of its judged suggestions
    (over at least ``min_feedback`` verdicts: ``acceptance``, the paper's post-deployment signal).

    Example:
        >>> from sqlfix.taxonomy.model import load_taxonomy
        >>> leaf = next(x.id for x in load_taxonomy().leaves if x.features)
        >>> rows = targets(load_taxonomy(), {leaf: 50}, {}, rare_below=10, weak_below=0.3, min_eval=3, per_leaf=8,
        ...                acceptance={leaf: (0.25, 4)}, accepted_below=0.5, min_feedback=4, user=None)
        >>> [(r["category_l3"] == leaf, r["reason"]) for r in rows if r["reason"] == "weak"]
        [(True, 'weak')]
    """
    out = {}
    for leaf in taxonomy.leaves:
        if not leaf.features or (generatable is not None and leaf.id not in generatable):
            continue
        n = kept.get(leaf.id, 0)
        acc, samples = accuracy.get(leaf.id, (None, 0))
        taken, judged = (acceptance or {}).get(leaf.id, (None, 0))
        if leaf.id in (user or []):
            out[leaf.id] = ("user", per_leaf)
        elif acc is not None and samples >= min_eval and acc < weak_below:
            out[leaf.id] = ("weak", per_leaf)
        elif taken is not None and judged >= min_feedback and taken < accepted_below:
            out[leaf.id] = ("weak", per_leaf)
        elif n < rare_below:
            out[leaf.id] = ("rare", min(per_leaf, rare_below - n))
    unknown = [leaf for leaf in user or [] if leaf not in out]
    if unknown:
        raise ValueError(f"not a generatable leaf: {unknown}")
    ranked = sorted(out.items(), key=lambda kv: (kv[1][0] != "user", kv[1][0] != "weak", kept.get(kv[0], 0), kv[0]))
    if max_targets is not None:
        ranked = ranked[:max_targets]
    return [{"category_l3": leaf, "reason": reason, "kept_pairs": kept.get(leaf, 0),
             "accuracy": accuracy.get(leaf, (None, 0))[0], "wanted": wanted} for leaf, (reason, wanted) in ranked]  # fmt: skip


def recall(
    corpus: DataFrame,
    wanted: dict[str, tuple[str, ...]],
    per_group: int,
    limit: dict[str, int],
    seed: int,
    sites: bool = False,
) -> DataFrame:
    """Candidates per target leaf: corpus queries holding all the leaf's features (``wanted``: leaf ->
    features; ``WRITE`` is not asked of a query, which ``carrier`` puts in its write form), at most
    ``per_group`` per task and per table set, at most ``limit[leaf]`` per leaf. With ``sites``, the per-leaf
    rule too: only queries where one of the leaf's mutators finds a site (checked in Arrow batches on the
    executors), for leaves whose features are coarser than their bug."""
    parts = []
    writes = frozenset(leaf for leaf, feats in wanted.items() if WRITE in feats)
    for leaf, feats in sorted(wanted.items()):
        need = F.array(*[F.lit(f) for f in feats if f != WRITE]).cast("array<string>")
        parts.append(corpus.filter(F.size(F.array_except(need, F.col("features"))) == 0)
                     .withColumn("target_leaf", F.lit(leaf)))  # fmt: skip
    if not parts:
        return corpus.limit(0).withColumn("target_leaf", F.lit(None).cast("string"))
    out = parts[0]
    for part in parts[1:]:
        out = out.unionByName(part)
    if sites:
        from pyspark.sql import types as T

        schema = T.StructType([*out.schema.fields, T.StructField("has_site", T.BooleanType())])
        out = out.mapInArrow(_site_batches(seed, writes), schema).filter("has_site").drop("has_site")
    order = F.xxhash64(F.lit(str(seed)), "target_leaf", "corpus_id")
    out = out.withColumn("_o", order)
    out = out.withColumn("_t", F.row_number().over(Window.partitionBy("target_leaf", "task_id").orderBy("_o")))
    out = out.withColumn("_s", F.row_number().over(Window.partitionBy("target_leaf", F.array_join(F.array_sort(
        "tables"), ",")).orderBy("_o")))  # fmt: skip
    out = out.filter((F.col("_t") <= per_group) & (F.col("_s") <= per_group))
    out = out.withColumn("_n", F.row_number().over(Window.partitionBy("target_leaf").orderBy("_o")))
    caps = F.create_map(*[x for leaf, n in sorted(limit.items()) for x in (F.lit(leaf), F.lit(int(n)))])
    return out.filter(F.col("_n") <= F.element_at(caps, F.col("target_leaf"))).drop("_o", "_t", "_s", "_n")


def _rng(seed: int, *parts: str) -> random.Random:
    return random.Random(int(hashlib.sha256(":".join((str(seed), *parts)).encode()).hexdigest()[:16], 16))


def first_bug(sql: str, schema: dict, leaf: str, corpus_id: str, seed: int, variant: int = 0) -> tuple[str | None, str | None]:
    """(bug, mutator name) from the first of the leaf's mutators, in a seeded order, that finds a site;
    ``variant`` k > 0 draws the order and the site afresh (another site of the same query, or the same one)."""
    rng = _rng(seed, leaf, corpus_id) if variant == 0 else _rng(seed, leaf, corpus_id, str(variant))
    mutators = for_leaf(leaf)
    rng.shuffle(mutators)
    for m in mutators:
        try:
            bug = m.apply(Source(sql, schema), rng)
        except Exception:  # noqa: BLE001 - a mutator that trips on an odd query: no site there
            bug = None
        if bug:
            return bug, m.name
    return None, None


WRITE = "insert"  # the feature of a write leaf: a corpus query carries its bug once put in its write form
WRITE_DATABASE = "analytics"


def write_form(sql: str, schema: dict, origin: str | None = None) -> tuple[str, str, str] | None:
    """The query as the statement that loads its result into a table of its own, its columns listed as ETL
    code lists them: (``INSERT INTO t (columns)`` text, that table's ``CREATE TABLE``, its name), or None
    where the query's columns are not all named once (a star, an unnamed expression, a name twice) or it is
    not one SELECT.

    The table is named after the file the query came from (``origin``: a dbt model's table is its file's
    name; bigquery-etl's ``<table>/query.sql`` its folder's), in ``analytics``; a name that is not a plain
    identifier gives ``output``. A column's type is its column's or its CAST's where the schema says so,
    else STRING, which takes any value Spark writes by position (its store assignment rule).

    Example:
        >>> form = write_form("SELECT o.order_id, CAST(o.amount AS DECIMAL(10,2)) AS amount, upper(o.status) AS s "
        ...                   "FROM shop.orders o", {"shop.orders": {"order_id": "bigint", "amount": "double"}},
        ...                   "models/marts/order_amounts.sql")
        >>> print(form[0]); print(form[1])
        INSERT INTO analytics.order_amounts (order_id, amount, s)
        SELECT o.order_id, CAST(o.amount AS DECIMAL(10,2)) AS amount, upper(o.status) AS s FROM shop.orders o
        CREATE TABLE analytics.order_amounts (`order_id` BIGINT, `amount` DECIMAL(10, 2), `s` STRING) USING parquet
    """
    from sqlglot import exp

    try:
        source = Source(sql, schema)
        tree = source.tree
    except ValueError:
        return None
    if not isinstance(tree, exp.Select):
        return None
    columns = []
    for item in tree.expressions:
        name = item.alias_or_name
        if isinstance(item, exp.Star) or isinstance(item.unalias(), exp.Star) or not is_identifier(name) \
                or name.lower() in {c.lower() for c, _ in columns}:  # fmt: skip
            return None
        typ = source.item_type(item) or "string"  # a type's text goes into the DDL: plain type syntax only
        columns.append((name, typ.upper() if re.fullmatch(r"[a-z0-9_(), <>:]+", typ) else "STRING"))
    parts = [p for p in (origin or "").replace("\\", "/").split("/") if p]
    stem = parts[-1].rsplit(".", 1)[0] if parts else ""
    if stem == "query" and len(parts) > 1:
        stem = parts[-2]
    stem = stem.lower() if is_identifier(stem) else "output"
    name = f"{WRITE_DATABASE}.{stem}"
    if name in schema:
        name += "_out"
    ddl = f"CREATE TABLE {name} ({', '.join(f'`{c}` {t}' for c, t in columns)}) USING parquet"
    return f"INSERT INTO {name} ({', '.join(c for c, _ in columns)})\n{sql.strip()}", ddl, name


def write_leaves(taxonomy) -> frozenset[str]:
    """The leaves whose bug needs a write (``WRITE`` among their features)."""
    return frozenset(leaf.id for leaf in taxonomy.leaves if WRITE in leaf.features)


def carrier(sql: str, ddl: str, schemas: dict, write: bool, origin: str | None) -> tuple[str, str] | None:
    """(text, DDL) a candidate's bug is made from: the query itself, or where ``write`` (a write leaf's
    candidate that does not write yet) its ``write_form``, with the table's ``CREATE TABLE`` added to the DDL
    (None: the query has no write form). ``schemas``: DDL -> ``parse_schema``, filled as it goes."""
    if ddl not in schemas:
        schemas[ddl] = parse_schema(ddl)
    if not write:
        return sql, ddl
    form = write_form(sql, schemas[ddl], origin)
    if form is None:
        return None
    text, table_ddl, _ = form
    ddl = f"{ddl.rstrip().rstrip(';')};\n\n{table_ddl}" if ddl.strip() else table_ddl
    if ddl not in schemas:
        schemas[ddl] = parse_schema(ddl)
    return text, ddl


def _writes(leaf: str, writes: frozenset[str], features) -> bool:
    """Whether a candidate of ``leaf`` is put in its write form: a write leaf's, unless it writes already."""
    return leaf in writes and WRITE not in (features or ())


def mutate(candidates: list[dict], seed: int, variants: int = 1,
           writes: frozenset[str] = frozenset()) -> tuple[list[dict], Counter]:  # fmt: skip
    """Up to ``variants`` distinct pairs per candidate (``first_bug`` with variant 0, 1, ...; a bug drawn
    twice counts once); returns (pairs, candidates without a site by leaf). A candidate of a leaf in
    ``writes`` is put in its write form first (``carrier``): the pair's fix, DDL and tables are then the
    INSERT's."""
    pairs, misses = [], Counter()
    schemas: dict[str, dict] = {}
    for c in candidates:
        leaf = c["target_leaf"]
        write = _writes(leaf, writes, c.get("features"))
        carried = carrier(c["sql_text"], c.get("schema_ddl") or "", schemas, write, c.get("origin"))
        if carried is None:
            misses[leaf] += 1
            continue
        sql, ddl = carried
        extra = {}
        if write:  # the write form: its table is one more the pair reads and writes
            added = set(schemas[ddl]) - set(schemas[c.get("schema_ddl") or ""])
            extra = {"schema_ddl": ddl, "tables": sorted({*(c.get("tables") or []), *added})}
        seen: set[str] = set()
        for variant in range(max(1, variants)):
            bug, name = first_bug(sql, schemas[ddl], leaf, c["corpus_id"], seed, variant)
            if bug is None or bug in seen:
                if variant == 0 and bug is None:
                    misses[leaf] += 1
                    break
                continue
            seen.add(bug)
            pairs.append({**c, "bug_sql": bug, "fixed_sql": sql, "generator": f"mutator:{name}", **extra})
    return pairs, misses


def share_cap(counts: list[int], share: float) -> int | None:
    """The largest per-group cap c such that no group holds more than ``share`` of what is kept when every
    group keeps min(count, c) (``None``: no cap needed, or ``share`` >= 1).

    Fewer than 1 / ``share`` groups cannot meet the share at all (one leaf is all of a one-leaf run): no cap.

    Example:
        >>> share_cap([100, 10, 10, 10], 0.5)  # 30 + 10 + 10 + 10: 30 is half of 60
        30
        >>> share_cap([5, 5, 5, 5], 0.3) is None, share_cap([100, 10], 0.2) is None
        (True, True)
    """
    if share >= 1 or len(counts) * share < 1 or max(counts) <= share * sum(counts):
        return None
    low, high = 0, max(counts)
    while low < high:  # the largest c with c <= share * sum(min(n, c))
        mid = (low + high + 1) // 2
        if mid <= share * sum(min(n, mid) for n in counts):
            low = mid
        else:
            high = mid - 1
    return low


def _site_batches(seed: int, writes: frozenset[str] = frozenset()):
    """mapInArrow body: ``has_site`` per candidate row (the per-leaf rule where features are too coarse),
    in the row's ``carrier``."""

    def run(batches):
        import pyarrow as pa

        schemas: dict[str, dict] = {}
        for batch in batches:
            cols = batch.to_pydict()
            origins = cols.get("origin") or [None] * batch.num_rows
            features = cols.get("features") or [None] * batch.num_rows
            out = []
            for sql, ddl, leaf, cid, origin, feats in zip(cols["sql_text"], cols["schema_ddl"], cols["target_leaf"],
                                                          cols["corpus_id"], origins, features, strict=True):  # fmt: skip
                carried = carrier(sql or "", ddl or "", schemas, _writes(leaf, writes, feats), origin)
                out.append(carried is not None and first_bug(carried[0], schemas[carried[1]], leaf, cid, seed)[0]
                           is not None)  # fmt: skip
            yield pa.RecordBatch.from_arrays([*batch.columns, pa.array(out, pa.bool_())],
                                             names=[*batch.schema.names, "has_site"])  # fmt: skip

    return run


def verify(judge, pairs: list[dict], taxonomy) -> list[dict]:
    """Each pair with the verdict: ``reason`` (kept, bug_passes, fix_fails, wrong_leaf, refused, ...),
    the bug's dry-run message as ``error_message`` and its categories. The sandbox holds one schema at a
    time: pairs are judged one DDL group after another."""
    groups: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(pairs):
        groups[p.get("schema_ddl") or ""].append(i)
    out: list[dict | None] = [None] * len(pairs)
    for ddl, idx in groups.items():
        judge.box.load(ddl)
        batch = [{"bug_sql": pairs[i]["bug_sql"], "fixed_sql": pairs[i]["fixed_sql"],
                  "category_l1": pairs[i]["target_leaf"].split(".")[0], "category_l3": pairs[i]["target_leaf"]}
                 for i in idx]  # fmt: skip
        for i, verdict in zip(idx, judge.many(batch), strict=True):
            p = pairs[i]
            message = verdict.bug.message if verdict.bug.status == "error" else None
            cat = classify(message, p["bug_sql"], taxonomy) if message else None
            reason = verdict.reason
            if reason == "kept" and (cat is None or cat.category_l3 != p["target_leaf"]):
                reason = "wrong_leaf"
            out[i] = {**p, "reason": reason, "error_message": message, "error_condition": verdict.bug.condition,
                      "category_l1": cat.category_l1 if cat else None, "category_l2": cat.category_l2 if cat else None,
                      "category_l3": cat.category_l3 if cat else None}  # fmt: skip
    return out  # type: ignore[return-value]


def pair_id(generator: str, corpus_id: str, bug_sql: str) -> str:
    return hashlib.sha256(f"{generator}\x00{corpus_id}\x00{bug_sql}".encode()).hexdigest()


def yield_by_leaf(rows: list[dict], misses: Counter | None = None) -> dict[str, dict]:
    """Leaf -> generated, verified (passed verification), yield (verified / generated), kept (verified, within
    the leaf's quota and new: ``surplus`` is verified but not wanted, ``already_kept`` verified but kept by an
    earlier run, so that runs' kept counts add up) and candidates without a site.

    Example:
        >>> yield_by_leaf([{"target_leaf": "a", "reason": "kept"}, {"target_leaf": "a", "reason": "surplus"},
        ...                {"target_leaf": "a", "reason": "bug_passes"}, {"target_leaf": "a", "reason": "kept"}])
        {'a': {'generated': 4, 'verified': 3, 'kept': 2, 'yield': 0.75, 'no_site': 0}}
    """
    out: dict[str, dict] = {}
    for r in rows:
        e = out.setdefault(r["target_leaf"], {"generated": 0, "verified": 0, "kept": 0})
        e["generated"] += 1
        e["verified"] += r["reason"] in ("kept", "surplus", "already_kept")
        e["kept"] += r["reason"] == "kept"
    for leaf in set(out) | set(misses or {}):
        e = out.setdefault(leaf, {"generated": 0, "verified": 0, "kept": 0})
        e["yield"] = round(e["verified"] / e["generated"], 4) if e["generated"] else None
        e["no_site"] = (misses or {}).get(leaf, 0)
    return dict(sorted(out.items()))
