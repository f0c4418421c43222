"""``sqlfix classify`` and ``sqlfix taxonomy``.

classify: one message (``--message``, optional ``--sql FILE``) -> JSON; a JSON Lines file
(``--input``/``--output``) -> the same lines with ``category_l1/l2/l3``; a lake table (``--table``) ->
labelled in place with the Spark classifier (merge: only rows whose category changed are rewritten).
taxonomy: the tree with counts from a table, ``--json`` for the config, ``--audit`` for the coverage report.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlfix.commands import Subcommand
from sqlfix.errors import UsageError
from sqlfix.taxonomy.classify import categorize, classify
from sqlfix.taxonomy.model import UNCLASSIFIED, load_taxonomy

CATEGORY_COLUMNS = ("category_l1", "category_l2", "category_l3", "error_condition")
# Lake tables that carry categories, with their message and SQL columns.
LABELLED = {"bug_pairs": ("error_message", "bug_sql"), "bug_pairs_dropped": ("error_message", "bug_sql")}


def label_table(ctx, name: str) -> tuple[int, int]:
    """Re-label a lake table in place; returns (rows, rows whose category changed)."""
    if name not in LABELLED:
        raise UsageError("classify --table: the table has no category columns", input=name,
                         hint=f"labelled tables: {', '.join(LABELLED)}")  # fmt: skip
    message, sql = LABELLED[name]
    df = ctx.lake.read(name)
    labelled = categorize(df.drop(*CATEGORY_COLUMNS), message, sql)
    result = ctx.lake.merge(name, labelled, update=True)
    return df.count(), result.updated


def classify_file(src: Path, dst: Path) -> int:
    n = 0
    with src.open(encoding="utf-8", errors="replace") as fin, dst.open("w") as fout:
        for line in fin:
            if not line.strip():
                continue
            row = json.loads(line)
            c = classify(row.get("error_message"), row.get("sql_text"))
            row.update(category_l1=c.category_l1, category_l2=c.category_l2, category_l3=c.category_l3)
            fout.write(json.dumps(row, ensure_ascii=False) + "\n")
            n += 1
    return n


def _add_classify(parser) -> None:
    parser.add_argument("--message", help="one error message")
    parser.add_argument("--sql", help="file with the SQL that raised it (for the SQL-side conditions)")
    parser.add_argument("--input", help="JSON Lines with error_message and optional sql_text")
    parser.add_argument("--output", help="where --input goes, labelled")
    parser.add_argument("--table", help="a lake table to label in place (bug_pairs, bug_pairs_dropped)")


def _run_classify(ctx, args) -> int:
    if args.message is not None:
        sql = Path(args.sql).read_text() if args.sql else None
        print(json.dumps(classify(args.message, sql).as_dict(), indent=2))
    elif args.input:
        if not args.output:
            raise UsageError("classify --input needs --output")
        print(f"classify: {classify_file(Path(args.input), Path(args.output))} lines -> {args.output}")
    elif args.table:
        rows, changed = label_table(ctx, args.table)
        print(f"classify: {args.table}: {rows} rows, {changed} re-labelled")
    else:
        raise UsageError("nothing to classify", hint="give --message, --input/--output or --table")
    return 0


def tree(counts: dict[str, int] | None = None) -> str:
    """The taxonomy as an indented tree, with counts per node when given (leaf id -> rows)."""
    taxonomy = load_taxonomy()
    counts = counts or {}
    total = lambda prefix: sum(v for k, v in counts.items() if k == prefix or k.startswith(prefix + "."))  # noqa: E731
    lines, seen = [], set()
    for leaf in taxonomy.leaves:
        for level, key in ((0, leaf.l1), (1, leaf.l2)):
            if key not in seen:
                seen.add(key)
                label = f"{key}  - {taxonomy.groups[key]}" if level == 0 else key.split(".")[1]
                lines.append(f"{'  ' * level}{label}" + (f"  [{total(key)}]" if counts else ""))
        lines.append(f"    {leaf.name}" + (f"  [{counts.get(leaf.id, 0)}]" if counts else "") + f"  {leaf.description}")
    if counts:
        lines.append(f"{UNCLASSIFIED}  [{counts.get(UNCLASSIFIED, 0)}]")
    lines.append(f"{len(taxonomy.leaves)} leaves")
    return "\n".join(lines)


def _add_taxonomy(parser) -> None:
    parser.add_argument("--table", default="bug_pairs", help="count categories of this table (default bug_pairs)")
    parser.add_argument("--no-counts", action="store_true", help="print the tree without reading a table")
    parser.add_argument("--json", action="store_true", help="dump the taxonomy config as JSON")
    parser.add_argument("--audit", action="store_true", help="coverage report against pyspark's error catalog")


def _run_taxonomy(ctx, args) -> int:
    taxonomy = load_taxonomy()
    if args.json:
        from dataclasses import asdict

        print(json.dumps({"version": taxonomy.version, "groups": taxonomy.groups,
                          "leaves": [{**asdict(leaf), "l1": leaf.l1, "l2": leaf.l2} for leaf in taxonomy.leaves]}, indent=2))  # fmt: skip
        return 0
    if args.audit:
        from sqlfix.taxonomy.audit import audit

        report = audit(taxonomy)
        print(report.text(taxonomy))
        return 0 if report.ok else 1
    counts = None
    if not args.no_counts:
        df = ctx.lake.read(args.table)
        counts = {r["category_l3"] or UNCLASSIFIED: r["count"] for r in df.groupBy("category_l3").count().collect()}
    print(tree(counts))
    return 0


SUBCOMMANDS = {
    "classify": Subcommand("Classify error messages into the 81-leaf taxonomy.", _add_classify, _run_classify),
    "taxonomy": Subcommand(
        "Print the error taxonomy (with counts), dump it, or audit it against Spark.", _add_taxonomy, _run_taxonomy
    ),
}
