"""SFT against DM-SFT on the same data: the paper's Figures 5 and 6, measured on sqlfix's own data.

Arms differ only in the drop rate ``p`` and the masking mode (``line``, or the ``token`` ablation); the
dataset, the eval samples, the base model, the seed and every other training setting are shared. The
experiment runs in three stages, each reading the files of the one before, so that the stages can run on
different machines (train where the GPU is, score where Spark is):

1. ``train`` — for each arm, the DM-SFT recipe for ``max_steps`` steps; every ``eval_every`` steps (and at
   the last step) the live model writes greedy fixes for the eval samples (``predictions.jsonl``) and the
   trainer's losses go to ``losses.jsonl`` (total, diff-line and consistent-line cross-entropy). The base
   model's fixes are step 0 of every arm (generated once). An arm with ``done.json`` is not run again; an
   arm killed midway starts over (arms are short; no checkpoints are written).
2. ``score`` — every prediction is dry-run in the filter's sandbox (never executed) and scored with the
   evaluation metrics (AST match needs Spark's analyzer to accept it); a prediction text seen twice for
   one sample is analysed once. Writes ``scores.jsonl``.
3. ``report`` — accuracy-vs-step curves per arm and eval set (``in_domain``, and ``held_out``: databases
   the dataset never trained on), the best step and accuracy per arm beside the paper's, the loss on diff
   and consistent lines, as ``summary.json``, ``report.md`` and three figures.

The eval sets are drawn once (``plan.json``) with ``evaluation.evaluate.pick``: a hashed, round-robin
order over databases and categories, so a larger ``eval_samples`` only adds samples.
"""

from __future__ import annotations

import json
import math
import time
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlfix.dataset.build import databases
from sqlfix.errors import UsageError

SETS = ("in_domain", "held_out")
CURVE_METRICS = ("ast", "exact", "analysis_pass", "preservation")
BASE = "base"  # the arm name of step 0: the untrained model, shared by every arm


@dataclass(frozen=True)
class Arm:
    """One training configuration of the experiment."""

    name: str
    p: float
    mode: str = "line"


def parse_arms(spec: list[dict], only: list[str] | None = None) -> list[Arm]:
    """Arms from the config's ``arms:`` list (``{name, p, mode}``), optionally only those named.

    Example:
        >>> [a.name for a in parse_arms([{"p": 0.0}, {"p": 0.5, "mode": "token"}])]
        ['p0.0', 'token-p0.5']
    """
    arms = []
    for item in spec or []:
        p = float(item.get("p", 0.0))
        mode = item.get("mode", "line")
        if not 0.0 <= p <= 1.0:
            raise UsageError(f"experiment arm {item}: p must be in [0, 1]")
        if mode not in ("line", "token"):
            raise UsageError(f"experiment arm {item}: mode must be line or token")
        arms.append(Arm(str(item.get("name") or (f"p{p}" if mode == "line" else f"token-p{p}")), p, mode))
    names = [a.name for a in arms]
    if len(set(names)) != len(names) or BASE in names:
        raise UsageError(f"experiment arms need unique names other than {BASE!r}, got {names}")
    if only:
        unknown = sorted(set(only) - set(names))
        if unknown:
            raise UsageError(f"no such arm: {', '.join(unknown)}", hint=f"arms: {', '.join(names)}")
        arms = [a for a in arms if a.name in only]
    if not arms:
        raise UsageError("the experiment has no arms", hint="experiment.arms: [{p: 0.0}, {p: 0.5}]")
    return arms


def eval_steps(max_steps: int, every: int) -> list[int]:
    """The steps at which an arm is evaluated: every ``every`` steps and the last one.

    Example:
        >>> eval_steps(100, 40), eval_steps(4, 2)
        ([40, 80, 100], [2, 4])
    """
    if max_steps <= 0 or every <= 0:
        raise UsageError(f"experiment needs max_steps > 0 and eval_every > 0, got {max_steps} and {every}")
    return sorted({*range(every, max_steps + 1, every), max_steps})


def eval_sets(samples: list[dict], held_out: set[str], limit: int, held_out_limit: int) -> dict[str, list[dict]]:
    """The eval samples of each set: ``in_domain`` (databases seen in training) and ``held_out``."""
    from sqlfix.evaluation.evaluate import pick

    inside = [s for s in samples if not databases(s["bug_sql"]) & held_out]
    outside = [s for s in samples if databases(s["bug_sql"]) & held_out]
    return {"in_domain": pick(inside, limit), "held_out": pick(outside, held_out_limit) if held_out_limit else []}


def read_jsonl(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]


def _append(path: Path, rows: list[dict]) -> None:
    with path.open("a", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


# -- stage 1: train ---------------------------------------------------------------------------------------
def plan(out: Path, dataset_dir: Path, arms: list[Arm], ecfg: dict, held_out: list[str]) -> dict:
    """Draw the eval sets once and write ``plan.json``; a re-run with other settings is refused (its arms
    would not be comparable with those already trained)."""
    manifest = json.loads((dataset_dir / "manifest.json").read_text())
    samples = read_jsonl(dataset_dir / "eval.jsonl")
    if not samples:
        raise UsageError("the dataset has no eval samples", input=str(dataset_dir / "eval.jsonl"))
    sets = eval_sets(samples, set(held_out), int(ecfg["eval_samples"]), int(ecfg["held_out_samples"]))
    fixed = {"max_steps": int(ecfg["max_steps"]), "eval_every": int(ecfg["eval_every"]),
             "train": ecfg["train"], "held_out": sorted(held_out), "dataset_version": manifest.get("dataset_version")}  # fmt: skip
    new = {
        **fixed,
        "arms": [asdict(a) for a in arms],
        "samples": {k: [s["sample_id"] for s in v] for k, v in sets.items()},
        "generate": {"batch_size": int(ecfg["batch_size"]), "max_new_tokens": int(ecfg["max_new_tokens"])},
    }
    path = out / "plan.json"
    if path.is_file():
        old = json.loads(path.read_text())
        changed = sorted(k for k in (*fixed, "samples") if old.get(k) != new[k])
        if changed:
            raise UsageError(f"{out} holds an experiment with other settings ({', '.join(changed)})",
                             hint="use another experiment.output_dir, or delete the folder to start over")  # fmt: skip
        known = {a["name"]: a for a in old["arms"]}
        for a in new["arms"]:
            if a["name"] in known and known[a["name"]] != a:
                raise UsageError(f"arm {a['name']} was run with other settings: {known[a['name']]}")
            known[a["name"]] = a
        new["arms"] = list(known.values())
    out.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(new, indent=1))
    by_id = {s["sample_id"]: s for s in samples}
    (out / "eval_samples.jsonl").write_text(
        "".join(
            json.dumps({**by_id[i], "set": k}, default=str) + "\n" for k, ids in new["samples"].items() for i in ids
        )
    )
    return new


def _prompts(samples: list[dict]) -> list[str]:
    from sqlfix.dataset.prompt import render_prompt

    return [render_prompt(s.get("schema_ddl"), s["bug_sql"], s.get("error_message")) for s in samples]


def predict(generator, samples: list[dict], arm: str, step: int) -> list[dict]:
    """Greedy fixes of one model for the eval samples, as prediction rows."""
    started = time.perf_counter()
    candidates = generator.generate(_prompts(samples), [s["bug_sql"] for s in samples], progress=False)
    seconds = round(time.perf_counter() - started, 3)
    return [{"arm": arm, "step": step, "set": s["set"], "sample_id": s["sample_id"],
             "prediction": c[0].sql if c else "", "tokens": c[0].tokens if c else 0, "generate_seconds": seconds}
            for s, c in zip(samples, candidates, strict=True)]  # fmt: skip


def _recorder(arm_dir: Path, samples: list[dict], steps: list[int], tokenizer, gen_cfg: dict, say):
    from transformers import TrainerCallback

    from sqlfix.inference.generate import HFGenerator

    class Recorder(TrainerCallback):
        """Losses as they are logged; the live model's fixes at the evaluation steps."""

        def __init__(self):
            self.generate_seconds = 0.0

        def on_log(self, args, state, control, logs=None, **kwargs):
            if logs and "loss" in logs:
                _append(arm_dir / "losses.jsonl", [{"step": state.global_step, **{k: logs[k] for k in
                        ("loss", "loss_diff", "loss_consistent", "learning_rate", "tokens_per_second") if k in logs}}])  # fmt: skip

        def on_step_end(self, args, state, control, model=None, **kwargs):
            if state.global_step not in steps:
                return
            import torch

            started = time.perf_counter()
            was_training, use_cache = model.training, model.config.use_cache
            model.eval()
            model.config.use_cache = True
            try:
                generator = HFGenerator.from_loaded(model, tokenizer, int(gen_cfg["batch_size"]),
                                                    int(gen_cfg["max_new_tokens"]))  # fmt: skip
                with torch.no_grad():
                    rows = predict(generator, samples, arm_dir.name, state.global_step)
            finally:
                model.config.use_cache = use_cache
                model.train(was_training)
            _append(arm_dir / "predictions.jsonl", rows)
            seconds = time.perf_counter() - started
            self.generate_seconds += seconds
            say(f"{arm_dir.name}: step {state.global_step}/{steps[-1]}: {len(rows)} fixes in {seconds:.0f}s")

    return Recorder()


def train_arm(arm: Arm, plan_: dict, train_cfg: dict, out: Path, say=print) -> dict:
    """Train one arm with evaluations at its steps; returns its ``done.json`` record (an arm already done
    is not run again)."""
    from sqlfix.config import deep_merge
    from sqlfix.training.recipe import DMSFTRecipe

    arm_dir = out / "arms" / arm.name
    done = arm_dir / "done.json"
    if done.is_file():
        say(f"{arm.name}: done already ({done})")
        return json.loads(done.read_text())
    if arm_dir.exists():  # a killed arm starts over: its partial curves would mix two runs
        import shutil

        shutil.rmtree(arm_dir)
    arm_dir.mkdir(parents=True)
    steps = eval_steps(plan_["max_steps"], plan_["eval_every"])
    samples = read_jsonl(out / "eval_samples.jsonl")
    cfg = deep_merge(train_cfg, {**plan_["train"], "p": arm.p, "mode": arm.mode, "max_steps": plan_["max_steps"],
                                 "output_dir": str(arm_dir / "run"), "resume": False, "save_steps": 0})  # fmt: skip
    say(f"{arm.name}: p={arm.p}, mode {arm.mode}, {plan_['max_steps']} steps, fixes at steps {steps}")
    started = time.perf_counter()
    recipe = DMSFTRecipe(cfg)
    recipe.setup()
    recorder = _recorder(arm_dir, samples, steps, recipe.tokenizer, plan_["generate"], say)
    recipe.trainer.add_callback(recorder)
    metrics = recipe.train()
    seconds = time.perf_counter() - started
    record = {"arm": asdict(arm), "steps": recipe.trainer.state.global_step, "train_loss": metrics.get("train_loss"),
              "seconds": round(seconds, 1), "train_seconds": round(seconds - recorder.generate_seconds, 1),
              "generate_seconds": round(recorder.generate_seconds, 1), "too_long": recipe.too_long,
              "train_examples": len(recipe.train_examples)}  # fmt: skip
    recipe.cleanup()
    done.write_text(json.dumps(record, indent=1))
    return record


def base_predictions(out: Path, model_dir: str, plan_: dict, say=print) -> None:
    """Step 0 of every arm: the untrained model's fixes (once)."""
    from sqlfix.inference.generate import HFGenerator

    path = out / "arms" / BASE / "predictions.jsonl"
    if path.is_file():
        return
    samples = read_jsonl(out / "eval_samples.jsonl")
    gen = plan_["generate"]
    generator = HFGenerator(model_dir, int(gen["batch_size"]), int(gen["max_new_tokens"]))
    rows = predict(generator, samples, BASE, 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    _append(tmp, rows)
    tmp.rename(path)
    say(f"{BASE}: {len(rows)} fixes in {rows[0]['generate_seconds'] if rows else 0:.0f}s")


# -- stage 2: score -----------------------------------------------------------------------------------------
def score_predictions(out: Path, judge, say=print) -> list[dict]:
    """Dry-run and score every prediction of every arm (``scores.jsonl``); returns the scored rows."""
    from sqlfix.evaluation.evaluate import verify, with_categories
    from sqlfix.evaluation.metrics import score

    samples = {s["sample_id"]: s for s in with_categories(read_jsonl(out / "eval_samples.jsonl"))}
    predictions = [r for d in sorted((out / "arms").iterdir()) for r in read_jsonl(d / "predictions.jsonl")]
    unique = sorted({(r["sample_id"], r["prediction"]) for r in predictions})
    say(f"score: {len(predictions)} predictions, {len(unique)} distinct, of {len(samples)} samples")
    checks = verify(judge, [samples[i] for i, _ in unique], [p for _, p in unique])
    verdict = dict(zip(unique, checks, strict=True))
    rows = []
    for r in predictions:
        s = samples[r["sample_id"]]
        passes, gone, _ = verdict[(r["sample_id"], r["prediction"])]
        rows.append({**{k: r[k] for k in ("arm", "step", "set", "sample_id")}, "category_l3": s.get("category_l3"),
                     **score(s["bug_sql"], s["fixed_sql"], r["prediction"], passes, gone)})  # fmt: skip
    (out / "scores.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return rows


# -- stage 3: report ----------------------------------------------------------------------------------------
def curves(rows: list[dict], arms: list[str]) -> dict:
    """``{arm: {set: [{step, n, ast, exact, analysis_pass, preservation}, ...]}}``, step 0 being the base model."""
    from sqlfix.evaluation.metrics import aggregate

    grouped: dict = defaultdict(list)
    for r in rows:
        grouped[(r["arm"], r["set"], r["step"])].append(r)
    out: dict = {}
    for arm in arms:
        out[arm] = {}
        for set_ in SETS:
            points = []
            for (a, s, step), members in sorted(grouped.items(), key=lambda kv: kv[0][2]):
                if s == set_ and a in (arm, BASE):
                    agg = aggregate(members)["all"]
                    points.append({"step": step, "n": agg["n"], **{m: agg[m] for m in CURVE_METRICS}})
            out[arm][set_] = points
    return out


def best(points: list[dict], metric: str = "ast") -> dict | None:
    """The evaluated step with the highest ``metric`` (the earliest of equal ones), step 0 included.

    Example:
        >>> best([{"step": 0, "ast": 0.1}, {"step": 50, "ast": 0.4}, {"step": 100, "ast": 0.4}])["step"]
        50
    """
    scored = [p for p in points if p.get(metric) is not None]
    return max(scored, key=lambda p: (p[metric], -p["step"])) if scored else None


def summarize(out: Path, rows: list[dict]) -> dict:
    """Per arm: the best in-domain step and accuracy, the held-out accuracy there, the final step's, the
    losses, and the paper's figures at the same p."""
    from sqlfix.reference import paper_dmsft

    plan_ = json.loads((out / "plan.json").read_text())
    arms = [Arm(**a) for a in plan_["arms"]]
    trained = [a for a in arms if (out / "arms" / a.name / "predictions.jsonl").is_file()]  # partial arms too
    curve = curves(rows, [a.name for a in trained])
    paper = paper_dmsft()
    table = []
    for arm in trained:
        points = curve[arm.name]["in_domain"]
        top, last = best(points), points[-1] if points else None
        held = {p["step"]: p for p in curve[arm.name]["held_out"]}
        done_file = out / "arms" / arm.name / "done.json"
        done = json.loads(done_file.read_text()) if done_file.is_file() else {}
        losses = read_jsonl(out / "arms" / arm.name / "losses.jsonl")
        table.append({
            "arm": arm.name, "p": arm.p, "mode": arm.mode, "complete": bool(done),
            "best_step": top and top["step"], "best_ast": top and top["ast"],
            "best_analysis_pass": top and top["analysis_pass"], "best_preservation": top and top["preservation"],
            "held_out_ast_at_best": (held.get(top["step"]) or {}).get("ast") if top else None,
            "best_held_out_ast": (best(curve[arm.name]["held_out"]) or {}).get("ast"),
            "final_step": last and last["step"], "final_ast": last and last["ast"],
            "final_loss_diff": _last(losses, "loss_diff"), "final_loss_consistent": _last(losses, "loss_consistent"),
            "train_seconds": done.get("train_seconds"), "generate_seconds": done.get("generate_seconds"),
            "paper_accuracy_pct": paper["accuracy_pct"].get(arm.p) if arm.mode == "line" else None,
            "paper_best_step": paper["best_step"].get(arm.p) if arm.mode == "line" else None,
        })  # fmt: skip
    summary = {"plan": {k: plan_[k] for k in ("max_steps", "eval_every", "train", "held_out", "dataset_version")},
               "samples": {k: len(v) for k, v in plan_["samples"].items()}, "arms": table, "curves": curve,
               "paper_model": paper["model"]}  # fmt: skip
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    return summary


def _last(rows: list[dict], key: str, window: int = 10):
    values = [r[key] for r in rows if r.get(key) is not None][-window:]
    return round(sum(values) / len(values), 4) if values else None


def _pct(v) -> str:
    return "-" if v is None else f"{100 * v:.1f}%"


def markdown(summary: dict) -> str:
    """The table of the closing note and ``benchmarks/README.md``."""
    n = summary["samples"]
    head = (f"| arm | p | mode | best step | best AST ({n['in_domain']} in-domain) | analysis pass at best | "
            f"preservation at best | held-out AST at best ({n.get('held_out', 0)}) | final step AST | "
            f"loss diff / consistent (last 10 logs) | paper acc. at p | paper best step |")  # fmt: skip
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for a in summary["arms"]:
        loss = "-" if a["final_loss_diff"] is None else f"{a['final_loss_diff']:.3f} / {a['final_loss_consistent']:.3f}"
        lines.append(
            f"| {a['arm']}{'' if a['complete'] else ' (stopped early)'} | {a['p']} | {a['mode']} | {a['best_step']} | {_pct(a['best_ast'])} | "
            f"{_pct(a['best_analysis_pass'])} | {_pct(a['best_preservation'])} | {_pct(a['held_out_ast_at_best'])} | "
            f"{_pct(a['final_ast'])} | {loss} | "
            f"{'-' if a['paper_accuracy_pct'] is None else str(a['paper_accuracy_pct']) + '%'} | "
            f"{a['paper_best_step'] or '-'} |"
        )
    return "\n".join(lines) + "\n"


def figures(summary: dict, out: Path) -> dict[str, Path]:
    """Accuracy vs step per arm (Figure 5's runs), best step and accuracy by p beside the paper's (Figures 5
    and 6), and the diff-line vs consistent-line loss per arm; PNG files in ``out``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sqlfix.reference import paper_dmsft

    paths = {}
    arms = summary["arms"]
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), sharey=True)
    for ax, set_ in zip(axes, SETS, strict=True):
        for a in arms:
            points = summary["curves"][a["arm"]][set_]
            if points:
                ax.plot([p["step"] for p in points], [p["ast"] for p in points], marker="o",
                        label=f"{a['arm']} (p={a['p']}{', token' if a['mode'] == 'token' else ''})")  # fmt: skip
        ax.set_title(f"AST match vs step: {set_.replace('_', '-')} ({summary['samples'].get(set_, 0)} samples)")
    paths["accuracy_vs_step.png"] = _by_step(fig, axes, "AST match (analyzer-verified)", out / "accuracy_vs_step.png")

    paper = paper_dmsft()
    line = [a for a in arms if a["mode"] == "line" and a["best_ast"] is not None]
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    ax = axes[0]
    ax.plot([a["p"] for a in line], [100 * a["best_ast"] for a in line], "o-", label="sqlfix: best AST match")
    for a in arms:
        if a["mode"] == "token" and a["best_ast"] is not None:
            ax.plot([a["p"]], [100 * a["best_ast"]], "x", markersize=10, label=f"sqlfix: token-level, p={a['p']}")
    ax.plot(list(paper["accuracy_pct"]), list(paper["accuracy_pct"].values()), "s--", alpha=0.7,
            label=f"paper ({paper['model']})")  # fmt: skip
    ax.set_xlabel("drop probability p")
    ax.set_ylabel("best accuracy (%)")
    ax.set_title("Best accuracy by p (paper's Figure 5)")
    ax.legend(fontsize=8)
    ax = axes[1]
    ax.plot([a["p"] for a in line], [a["best_step"] for a in line], "o-", label="sqlfix: step of the best eval")
    ax.plot(list(paper["best_step"]), list(paper["best_step"].values()), "s--", alpha=0.7, label="paper")
    ax.set_xlabel("drop probability p")
    ax.set_ylabel("step of the best checkpoint")
    ax.set_title("Best step by p (paper's Figure 6)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    paths["best_by_p.png"] = _save(fig, out / "best_by_p.png")

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), sharey=True)
    for ax, key in zip(axes, ("loss_diff", "loss_consistent"), strict=True):
        for a in arms:
            rows = read_jsonl(out / "arms" / a["arm"] / "losses.jsonl")
            points = _smooth([(r["step"], r[key]) for r in rows if r.get(key) is not None])
            if points:
                ax.plot(*zip(*points, strict=True), label=a["arm"])
        ax.set_title(f"{'diff-line' if key == 'loss_diff' else 'consistent-line'} loss (every token, dropped or not)")
    paths["loss_by_arm.png"] = _by_step(fig, axes, "cross-entropy (moving mean of 10 logs)", out / "loss_by_arm.png")
    return paths


def _by_step(fig, axes, ylabel: str, path: Path) -> Path:
    """Finish side-by-side panels over training steps and save them."""
    for ax in axes:
        ax.set_xlabel("training step")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel(ylabel)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    return _save(fig, path)


def _smooth(points: list[tuple[int, float]], window: int = 10) -> list[tuple[int, float]]:
    out = []
    for i, (step, _) in enumerate(points):
        part = [v for _, v in points[max(0, i - window + 1) : i + 1] if v is not None and not math.isnan(v)]
        if part:
            out.append((step, sum(part) / len(part)))
    return out


def _save(fig, path: Path) -> Path:
    import matplotlib.pyplot as plt

    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def log_mlflow(summary: dict, out: Path, paths: dict[str, Path], mlflow_cfg: dict, name: str) -> str:
    """One parent run (settings, the table, the figures) and one child run per arm (its curves and losses
    by step); returns the parent's run id."""
    import mlflow

    mlflow.set_tracking_uri(mlflow_cfg["tracking_uri"])
    mlflow.set_experiment(mlflow_cfg.get("experiment_dmsft") or "sqlfix-dmsft-vs-sft")
    with mlflow.start_run(run_name=name) as parent:
        plan_ = summary["plan"]
        mlflow.log_params({"max_steps": plan_["max_steps"], "eval_every": plan_["eval_every"],
                           "dataset_version": plan_["dataset_version"], "held_out": ",".join(plan_["held_out"]),
                           **{f"train.{k}": v for k, v in plan_["train"].items()},
                           **{f"samples.{k}": v for k, v in summary["samples"].items()}})  # fmt: skip
        for file in (*paths.values(), out / "summary.json", out / "report.md"):
            if Path(file).is_file():
                mlflow.log_artifact(str(file))
        for a in summary["arms"]:
            with mlflow.start_run(run_name=a["arm"], nested=True):
                mlflow.log_params({"p": a["p"], "mode": a["mode"]})
                for set_ in SETS:
                    for point in summary["curves"][a["arm"]][set_]:
                        for m in CURVE_METRICS:
                            if point[m] is not None:
                                mlflow.log_metric(f"{set_}.{m}", point[m], step=point["step"])
                for row in read_jsonl(out / "arms" / a["arm"] / "losses.jsonl"):
                    mlflow.log_metrics({k: row[k] for k in ("loss", "loss_diff", "loss_consistent") if row.get(k) is not None},
                                       step=row["step"])  # fmt: skip
                mlflow.log_metrics({k: a[k] for k in ("best_step", "best_ast", "final_ast") if a[k] is not None})
        return parent.info.run_id
