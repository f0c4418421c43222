"""``sqlfix fix``: a verified fix for failing SQL — deterministic repairs and (optionally) the model, each
candidate dry-run by Spark's analyzer against the schema before it is shown. Nothing is executed.

    sqlfix fix query.sql --ddl tables.sql [--error "..."] [--model @champion] [--json]
    cat query.sql | sqlfix fix - --ddl tables.sql
    sqlfix fix --input cases.jsonl --output fixes.jsonl      # fields sql, schema, error
    sqlfix fix --table query_logs [--limit N]                # failed executions -> fix_suggestions

Exit code 0 when a verified fix exists whose confidence (``repair.ranking``: high / medium / low, shown with
its reason) reaches ``--min-confidence`` (``fix.min_confidence``, default medium); 3 when not: no fix (with
the last error), or a low-confidence candidate, shown as a suggestion and not applied. Without ``--ddl``,
the tables the SQL references get their latest DDL from ``table_schemas``. Without ``--error``, Spark's own
error is fixed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from sqlfix.commands import Subcommand
from sqlfix.errors import UsageError
from sqlfix.repair.run import lake_ddl, make_fixer, model_ref, suggest
from sqlfix.repair.service import EXIT_FIXED, EXIT_NO_FIX


def _add(parser) -> None:
    parser.add_argument("sql", nargs="?", help="a .sql file, or - for stdin")
    parser.add_argument("--ddl", help="CREATE TABLE statements of the tables (default: table_schemas in the lake)")
    parser.add_argument("--error", help="the error message the SQL failed with (default: Spark's own)")
    parser.add_argument("--model", help="base, @champion, v3 or a folder (default: fix.model; none: repairs only)")
    parser.add_argument("--no-model", action="store_true", help="deterministic repairs only")
    parser.add_argument("--json", action="store_true", help="one JSON object for tools")
    parser.add_argument("--input", help="JSON Lines of sql, schema, error: one JVM and one model for the file")
    parser.add_argument("--output", help="with --input: where the fixes go (JSON Lines)")
    parser.add_argument("--table", help="fix the failed executions of this lake table into fix_suggestions")
    parser.add_argument("--limit", type=int, help="with --table: at most this many events")
    parser.add_argument("--min-confidence", choices=("low", "medium", "high"),
                        help="a verified fix below this is a suggestion, exit 3 (default: fix.min_confidence)")  # fmt: skip


def _print(result, as_json: bool, minimum: str) -> None:
    if as_json:
        print(json.dumps({**result.as_dict(), "applied": result.applies(minimum)}, ensure_ascii=False))
        return
    if result.verified and result.source == "unchanged":
        print(f"fix: {result.note}")
        return
    if result.error is not None and not result.error.ok:
        print(f"fix: the query fails with {result.error.condition or result.error.status}")
    if result.verified:
        what = "verified fix" if result.applies(minimum) else f"suggestion only (below --min-confidence {minimum})"
        print(f"fix: {what} from {result.source}, {result.confidence} confidence: {result.reason} "
              f"({len(result.candidates)} candidates, {result.seconds:.2f}s of which verification "
              f"{result.verify_seconds:.2f}s)")  # fmt: skip
        print(result.diff, end="")
    else:
        last = result.last_error.message if result.last_error else (result.note or "no candidate")
        print(f"fix: no verified fix ({len(result.candidates)} candidates tried); last error: {str(last)[:300]}")
        if result.last_error and result.note:
            print(f"fix: {result.note}")


def _run(ctx, args) -> int:
    modes = [bool(args.sql), bool(args.input), bool(args.table)]
    if sum(modes) != 1:
        raise UsageError("give one of: a SQL file (or -), --input F.jsonl, or --table T")
    if args.input:
        return _file(ctx, args)
    if args.table:
        return _table(ctx, args)
    sql = sys.stdin.read() if args.sql == "-" else _read(args.sql)
    ddl = _read(args.ddl) if args.ddl else lake_ddl(ctx, {"q": sql})["q"]
    fixer = make_fixer(ctx, model_ref(ctx.cfg, args.no_model))
    result = fixer.fix(sql, ddl, args.error)
    minimum = ctx.cfg["fix"]["min_confidence"]
    _print(result, args.json, minimum)
    if result.applies(minimum) and not args.json and result.source != "unchanged":
        print(result.fixed_sql)
    return EXIT_FIXED if result.applies(minimum) else EXIT_NO_FIX


def _read(path: str) -> str:
    p = Path(path)
    if not p.is_file():
        raise UsageError("no such file", input=path)
    return p.read_text(errors="replace")


def _file(ctx, args) -> int:
    if not args.output:
        raise UsageError("--input needs --output")
    src = Path(args.input)
    if not src.is_file():
        raise UsageError("no such file", input=args.input)
    rows = []
    for number, line in enumerate(src.open(encoding="utf-8"), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UsageError(f"not JSON ({exc.msg})", input=f"{src}:{number}") from None
        if not isinstance(row, dict) or not isinstance(row.get("sql"), str):
            raise UsageError("each line needs a string field sql (and optional schema, error)", input=f"{src}:{number}")
        rows.append(row)
    fixer = make_fixer(ctx, model_ref(ctx.cfg, args.no_model))
    results = fixer.fix_many([(row["sql"], row.get("schema"), row.get("error")) for row in rows], progress=True)
    fixed, minimum = 0, ctx.cfg["fix"]["min_confidence"]
    with Path(args.output).open("w", encoding="utf-8") as out:
        for row, result in zip(rows, results, strict=True):
            fixed += result.applies(minimum)
            out.write(json.dumps({**row, **result.as_dict(), "applied": result.applies(minimum)}, ensure_ascii=False) + "\n")
    print(f"fix: {fixed} of {len(rows)} queries have a verified fix of at least {minimum} confidence -> {args.output}")
    return EXIT_FIXED if fixed == len(rows) else EXIT_NO_FIX


def _table(ctx, args) -> int:
    out = suggest(ctx, args.table, args.limit, model_ref(ctx.cfg, args.no_model))
    verified = sum(o["verified"] for o in out)
    print(f"fix: {len(out)} failed executions of {args.table}; {verified} with a verified fix -> fix_suggestions")
    return 0


SUBCOMMANDS = {"fix": Subcommand("Fix failing SQL with verified repairs and the model (never executed).", _add, _run,
                                 section="fix", flags={"model": "fix.model", "min_confidence": "fix.min_confidence"})}  # fmt: skip
