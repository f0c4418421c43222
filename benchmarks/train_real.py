"""Train on real SQL and measure it on a repository nothing was trained on (`make train-real`).

    git clone https://github.com/mozilla/bigquery-etl REPOS/bigquery-etl                        # training
    git clone https://github.com/mattermost/mattermost-data-warehouse REPOS/mattermost          # held out
    make train-real TRAIN_REPO=REPOS/bigquery-etl TRAIN_DIALECT=bigquery \\
        EVAL_REPO=REPOS/mattermost EVAL_DIALECT=snowflake

Each stage writes under ``--root`` and is skipped when its output is already there, so a re-run after a crash
goes on where it stopped (``--fresh`` starts over):

1. ``train/``: the training repository imported and its verified bug pairs generated
   (``benchmarks/real_generation.py``: ``sqlfix corpus --repo``, ``targets``, ``generate``).
2. ``eval/``: the same for the held-out repository. Its pairs are the eval set; none of them is trained on.
3. ``sqlfix build-dataset --export`` in ``train/`` (the training repository's pairs only).
4. ``sqlfix train --config conf/train/real-cpu.yaml`` (DM-SFT of the base model; resumes from its newest
   checkpoint), registered as ``sqlfix-fixer-real`` in ``train/``'s registry.
5. ``benchmarks/fix_rate.py`` on the held-out repository's pairs for each model — the base model, the
   demo-trained one (``--demo-model``, where it resolves) and the real-trained one — each edit size apart.
   The report (``report.txt``) and a plot (``fix_rates.png``) are written to ``--root``.

It prints each stage and how long it took; the training's own progress is in ``train/train.log``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SQLFIX = [sys.executable, "-m", "sqlfix.cli"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--train-repo", required=True)
    ap.add_argument("--train-dialect", required=True)
    ap.add_argument("--eval-repo", required=True, help="a different repository: the held-out eval set")
    ap.add_argument("--eval-dialect", required=True)
    ap.add_argument("--root", default="runs/real", help="where the two lakes, the model and the report go")
    ap.add_argument("--base", default="models/smollm2-135m-instruct", help="the base model folder (make model)")
    ap.add_argument("--demo-model", default="@champion",
                    help="the demo-trained fixer (a registry reference of the default lake, or a folder); "
                         "'none' leaves it out")  # fmt: skip
    ap.add_argument("--steps", type=int, help="training steps (default: conf/train/real-cpu.yaml's max_steps)")
    ap.add_argument("--train-variants", type=int, default=4)
    ap.add_argument("--train-per-group", type=int, default=8)
    ap.add_argument("--eval-variants", type=int, default=1)
    ap.add_argument("--eval-per-group", type=int, default=2)
    ap.add_argument("--limit", type=int, default=8, help="eval samples per edit size and model")
    ap.add_argument("--max-tokens", type=int, default=1024, help="eval samples that fit (as training does)")
    ap.add_argument("--fresh", action="store_true", help="remove --root first")
    args = ap.parse_args()
    if Path(args.train_repo).resolve() == Path(args.eval_repo).resolve():
        ap.error("the eval repository must not be the training repository")
    root = Path(args.root).resolve()
    if args.fresh:
        shutil.rmtree(root, ignore_errors=True)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")]))
    train, held = root / "train", root / "eval"

    for where, repo, dialect, variants, per_group in (
        (train, args.train_repo, args.train_dialect, args.train_variants, args.train_per_group),
        (held, args.eval_repo, args.eval_dialect, args.eval_variants, args.eval_per_group),
    ):
        if not (where / "generated.done").is_file():
            _stage(f"import and generate {repo} -> {where}", [
                sys.executable, str(HERE / "real_generation.py"), "--repo", repo, "--dialect", dialect,
                "--root", str(where), "--variants", str(variants), "--per-group", str(per_group),
                "--out", str(root / f"generation_{where.name}.txt")])  # fmt: skip
            (where / "generated.done").write_text("ok\n")

    sft = train / "sft"
    _stage("build the dataset", [*SQLFIX, "--set", f"output_root={train}", "build-dataset", "--eval-fraction", "0.05",
                                 "--per-category", "2", "--export", str(sft)])  # fmt: skip
    final = train / "runs" / "train-real" / "final"
    if not (final / "config.json").is_file():
        command = [*SQLFIX, "--set", f"output_root={train}", "train", "--config", str(REPO / "conf/train/real-cpu.yaml"),
                   "--dataset-dir", str(sft), "--model", str(Path(args.base).resolve())]  # fmt: skip
        command += ["--max-steps", str(args.steps)] if args.steps else []
        with (train / "train.log").open("a") as log:
            _stage(f"train (progress: {train / 'train.log'})", command, log=log)
    _overlap(sft, held)

    models = [("base", str(Path(args.base).resolve()))]
    demo = _demo_model(args.demo_model)
    if demo:
        models.append(("demo-trained", demo))
    models.append(("real-trained", str(final)))
    results = [measure(held, root, name, ref, size, args.limit, args.max_tokens)
               for name, ref in models for size in ("single-token", "multi-token")]  # fmt: skip
    (root / "fix_rates.json").write_text(json.dumps(results, indent=2, default=str))
    report = _report(results, args)
    (root / "report.txt").write_text(report)
    print("\n" + report)
    _plot(results, root / "fix_rates.png")
    _log(train, root, results)
    print(f"report: {root / 'report.txt'}; plot: {root / 'fix_rates.png'}")
    return 0


def _log(train: Path, root: Path, results: list[dict]) -> None:
    """The report, the plot and each rate as an MLflow run of the training lake's tracking server."""
    import mlflow
    from sqlfix.config import load_config
    from sqlfix.registry.tracking import use_registry

    recipe = {"train": str(REPO / "conf/train/real-cpu.yaml")}
    cfg = load_config("local", overrides=[f"output_root={train}"], layers=recipe)
    use_registry(cfg["train"]["mlflow"])
    mlflow.set_experiment(cfg["train"]["mlflow"]["experiment"])
    with mlflow.start_run(run_name="held-out repository"):
        for r in results:
            for size, s in r["by_size"].items():
                for key in ("greedy_ast", "model_verified", "model_ast", "fix_verified", "fix_ast"):
                    mlflow.log_metric(f"{r['name']}.{size}.{key}", s[key] / (s["n"] or 1))
        for name in ("report.txt", "fix_rates.png", "fix_rates.json"):
            mlflow.log_artifact(str(root / name))


def measure(held: Path, root: Path, name: str, ref: str, size: str, limit: int, max_tokens: int) -> dict:
    """``fix_rate.py`` for one model and edit size on the held-out pairs; kept in ``root/fix_rates/`` and read
    back on a re-run with the same arguments."""
    import fix_rate

    argv = ["--root", str(held), "--generated", "--model", ref, "--edit-size", size, "--max-tokens", str(max_tokens),
            "--limit", str(limit)]  # fmt: skip
    cache = root / "fix_rates" / f"{name}.{size}.json"
    if cache.is_file() and json.loads(cache.read_text())["argv"] == argv:
        print(f"\n== {name}, {size}: measured before ({cache})", flush=True)
        return json.loads(cache.read_text())
    print(f"\n== {name} ({ref}), {size}", flush=True)
    t0 = time.perf_counter()
    out = {"name": name, "size": size, "argv": argv, **fix_rate.run(argv), "seconds": round(time.perf_counter() - t0)}
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(out, indent=2, default=str))
    return out


def _stage(what: str, command: list[str], log=None) -> None:
    print(f"-- {what}", flush=True)
    t0 = time.perf_counter()
    done = subprocess.run(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT if log else None, check=False)
    if done.returncode != 0:
        raise SystemExit(f"train_real: {what} failed (exit {done.returncode})")
    print(f"   {time.perf_counter() - t0:.0f} s", flush=True)


def _overlap(sft: Path, held: Path) -> None:
    """Refuse to measure when a held-out query (normalised) is also in the training set."""
    sys.path.insert(0, str(HERE))
    import held_out
    from sqlfix.sql.normalize import normalized

    trained = set()
    with (sft / "train.jsonl").open() as fh:
        for line in fh:
            row = json.loads(line)
            trained |= {normalized(row["bug_sql"]), normalized(row["fixed_sql"])}
    ctx = held_out.context(argparse.Namespace(root=str(held)))
    shared = sum(normalized(r["fixed_sql"]) in trained for r in ctx.lake.read("generated_pairs").collect())
    if shared:
        raise SystemExit(f"train_real: {shared} held-out queries are also in the training set: not held out")
    print("-- the held-out repository shares no query with the training set", flush=True)


def _demo_model(ref: str) -> str | None:
    if ref == "none":
        return None
    if Path(ref).is_dir():
        return str(Path(ref).resolve())
    from sqlfix.config import load_config
    from sqlfix.errors import SqlfixError
    from sqlfix.registry.models import resolve

    cfg = load_config("local")
    try:
        return resolve(ref, cfg["train"], Path(cfg["evaluate"]["model_cache"])).path
    except SqlfixError as exc:
        print(f"-- the demo-trained model is left out: {ref} does not resolve ({exc}); run make demo first")
        return None


def _report(results: list[dict], args) -> str:
    lines = [f"held-out repository {args.eval_repo}; up to {args.limit} samples per edit size whose prompt and "
             f"reference fit in {args.max_tokens} tokens; verified / AST-equal to the reference (%)",
             f"{'model':<14} {'edit size':<13} {'n':>3} {'greedy AST':>10} {'model+verify':>13} {'sqlfix fix':>13}"
             f" {'s/query fix':>11}"]  # fmt: skip
    for r in results:
        for size, s in r["by_size"].items():
            n = s["n"] or 1

            def cell(key: str, s=s, n=n) -> str:
                return f"{100 * s[f'{key}_verified'] / n:.0f} / {100 * s[f'{key}_ast'] / n:.0f}"

            lines.append(f"{r['name']:<14} {size:<13} {int(s['n']):>3} {100 * s['greedy_ast'] / n:>10.0f} "
                         f"{cell('model'):>13} {cell('fix'):>13} {s['fix_s'] / n:>11.1f}")  # fmt: skip
    return "\n".join(lines) + "\n"


def _plot(results: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
    for ax, size in zip(axes, ("single-token", "multi-token"), strict=True):
        rows = [(r["name"], r["by_size"][size]) for r in results if size in r["by_size"]]
        keys = [("greedy_ast", "greedy AST"), ("model_ast", "model+verify AST"), ("fix_verified", "fix verified"),
                ("fix_ast", "fix AST")]  # fmt: skip
        width = 0.8 / len(keys)
        for k, (key, label) in enumerate(keys):
            ax.bar([i + k * width for i in range(len(rows))], [100 * s[key] / (s["n"] or 1) for _, s in rows],
                   width, label=label)  # fmt: skip
        ax.set_xticks([i + 0.4 - width / 2 for i in range(len(rows))], [name for name, _ in rows])
        ax.set_title(f"{size} bugs, held-out repository")
    axes[0].set_ylabel("% of eval samples")
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    sys.exit(main())
