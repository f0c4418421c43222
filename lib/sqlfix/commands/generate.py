"""``sqlfix corpus``, ``sqlfix targets``, ``sqlfix generate``: oriented generation over the lake.

- ``corpus``: successful executions of ``query_logs`` (and ``--sql-dir`` files, ``--from-table`` tables)
  -> ``sql_corpus`` (merged on corpus_id: a re-run adds only new queries) / ``sql_corpus_rejected``.
- ``targets``: rare leaves (kept pairs, mined and generated), weak leaves (the latest ``eval_runs``) and
  ``--leaves`` -> a new ``generation_targets`` computation.
- ``generate --generator mutators|llm``: the latest targets, recalled candidates, generated pairs,
  verified by the filter's judge and the classifier -> ``generated_pairs`` / ``generated_rejected`` (merged
  on pair_id: re-running adds nothing new), a ``generation_runs`` row with the yield per leaf.
"""

from __future__ import annotations

from sqlfix.commands import Subcommand
from sqlfix.errors import UsageError
from sqlfix.generation.repository import DIALECTS
from sqlfix.generation.run import run_corpus, run_generate, run_repository, run_targets


# ---------------------------------------------------------------------------------------------- CLI
def _corpus_args(parser) -> None:
    parser.add_argument("--repo", metavar="DIR",
                        help="import a checked-out repository of real SQL instead (plain .sql, bigquery-etl, dbt)")
    parser.add_argument("--dialect", choices=DIALECTS, default="spark", help="--repo: the dialect its SQL is written in")
    parser.add_argument("--schema-files", metavar="GLOB", help="--repo: where its schema files are (default **/*.y*ml)")
    parser.add_argument("--name", help="--repo: the repository's label in source and task_id (default: the folder's)")
    parser.add_argument("--sql-dir", help="also every statement of the .sql files under this folder")
    parser.add_argument("--from-table", action="append", default=[], help="also the SQL of this table or view")
    parser.add_argument("--column", default="sql_text", help="the SQL column of --from-table (default sql_text)")


def _corpus_run(ctx, args) -> int:
    if args.repo and (args.sql_dir or args.from_table):
        raise UsageError("--repo imports one repository on its own", hint="run --sql-dir / --from-table separately")
    if args.repo:
        out = run_repository(ctx, args.repo, args.dialect, args.schema_files, args.name)
        print(f"corpus: {out['repository']}: {out['files']} files, {out['statements']} statements -> {out['corpus']} "
              f"analysed queries in {out['seconds']:.0f}s (DDL {out['ddl']} over {out['tables']} tables; "
              f"{out['added']} new in sql_corpus); quarantined by reason {out['rejected'] or '{}'}")  # fmt: skip
        for skipped in out["macros_skipped"]:  # its models that call one of these are quarantined by its name
            print(f"corpus: macro file left out: {skipped}")
        return 0
    out = run_corpus(ctx, args.sql_dir, args.from_table, args.column)
    print(f"corpus: {out['corpus']} usable queries in this run's sources ({out['added']} new in sql_corpus); "
          f"quarantined by reason {out['rejected'] or '{}'}")  # fmt: skip
    return 0


def _targets_args(parser) -> None:
    parser.add_argument("--leaves", help="comma-separated leaves to target besides the rare and weak ones")
    parser.add_argument("--generator", choices=("mutators", "llm"), default="mutators",
                        help="mutators: only leaves a mutator can inject (default); llm: any leaf with features")  # fmt: skip


def _targets_run(ctx, args) -> int:
    leaves = [x.strip() for x in (args.leaves or "").split(",") if x.strip()]
    targets_id, rows = run_targets(ctx, leaves, args.generator)
    print(f"targets: {len(rows)} leaves (computation {targets_id[:8]} in generation_targets)")
    for r in rows:
        acc = "-" if r["accuracy"] is None else f"{r['accuracy']:.0%}"
        print(f"  {r['category_l3']:<50} {r['reason']:<5} kept {r['kept_pairs']:>4}  accuracy {acc:>4}  "
              f"wanted {r['wanted']}")  # fmt: skip
    return 0


def _generate_args(parser) -> None:
    parser.add_argument("--generator", choices=("mutators", "llm"), default="mutators")
    parser.add_argument("--limit", type=int, default=None, help="at most this many candidates per leaf")
    parser.add_argument("--model", default=None,
                        help="llm: a local HF folder (the embedded default: models/base) instead of the "
                             "generation.llm endpoint")  # fmt: skip


def _generate_run(ctx, args) -> int:
    from sqlfix.inference.generate import ChatBackend

    lcfg = ctx.cfg["generation"]["llm"]
    backend = ChatBackend(args.model, lcfg) if args.generator == "llm" and args.model else None
    out = run_generate(ctx, args.generator, backend, args.limit)
    print(f"generate: {args.generator}: {out['candidates']} candidates, {out['generated']} pairs generated, "
          f"{out['kept']} kept -> generated_pairs (run {out['run_id'][:8]}); rejected by reason {out['reasons']}")  # fmt: skip
    for leaf, e in out["by_leaf"].items():
        y = "-" if e["yield"] is None else f"{e['yield']:.0%}"
        print(f"  {leaf:<50} generated {e['generated']:>3}  verified {e['verified']:>3}  yield {y:>4}  "
              f"kept {e['kept']:>3}  no site {e['no_site']}")  # fmt: skip
    return 0


SUBCOMMANDS = {
    "corpus": Subcommand("Build sql_corpus (executable SQL, its DDL and error features) for generation.",
                         _corpus_args, _corpus_run),
    "targets": Subcommand("Choose the leaves to augment (rare, weak, or named) -> generation_targets.",
                          _targets_args, _targets_run),
    "generate": Subcommand("Generate verified bug pairs for the latest targets -> generated_pairs.",
                           _generate_args, _generate_run, section="generation"),
}  # fmt: skip
