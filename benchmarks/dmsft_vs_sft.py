"""The train stage of ``sqlfix experiment dmsft`` on an accelerator machine without Spark: every arm (and the
base model's step 0) in its own process, ``--parallel`` at once on one GPU (a 135M model leaves it mostly idle;
memory is the limit: 7 arms without activation checkpointing overran an H200's 139 GiB).

    sqlfix experiment dmsft --config conf/experiment/gpu.yaml --stage plan --output-dir EXP   # here
    python benchmarks/dmsft_vs_sft.py --out EXP --model MODEL --dataset-dir DATA --parallel 3  # on the GPU
    sqlfix experiment dmsft --config conf/experiment/gpu.yaml --stage score --output-dir EXP  # here again
    sqlfix experiment dmsft --config conf/experiment/gpu.yaml --stage report --output-dir EXP

It runs the library's own ``experiment.dmsft.train_arm`` with the plan's settings; nothing here differs from
``--stage train`` but the processes. Each process logs to ``EXP/logs/<arm>.log``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path


def _one(args) -> int:
    from sqlfix.config import defaults
    from sqlfix.experiment import dmsft

    out = Path(args.out)
    plan = json.loads((out / "plan.json").read_text())
    if args.one == dmsft.BASE:
        dmsft.base_predictions(out, args.model, plan)
        return 0
    arm = next(dmsft.Arm(**a) for a in plan["arms"] if a["name"] == args.one)
    train_cfg = {**defaults("train"), "model": args.model, "dataset_dir": args.dataset_dir}
    record = dmsft.train_arm(arm, plan, train_cfg, out)
    print(json.dumps(record), flush=True)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="the experiment folder holding plan.json")
    parser.add_argument("--model", required=True, help="the base model folder")
    parser.add_argument("--dataset-dir", required=True)
    parser.add_argument("--arms", help="comma-separated (default: the plan's arms)")
    parser.add_argument(
        "--parallel",
        type=int,
        default=3,
        help="processes at once (each arm of conf/experiment/gpu.yaml takes about 35 GiB: 3 fit in an H200)",
    )
    parser.add_argument("--one", help=argparse.SUPPRESS)  # a child process: one arm (or base)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.one:
        return _one(args)
    out = Path(args.out)
    plan = json.loads((out / "plan.json").read_text())
    names = ["base", *(args.arms.split(",") if args.arms else [a["name"] for a in plan["arms"]])]
    done = [n for n in names if (out / "arms" / n / ("predictions.jsonl" if n == "base" else "done.json")).is_file()]
    names = [n for n in names if n not in done]  # a rerun resumes: the base model and finished arms are kept
    if done:
        print(f"dmsft_vs_sft: already done, kept: {', '.join(done)}", flush=True)
    (out / "logs").mkdir(exist_ok=True)
    pending, running, failed = list(names), {}, []
    started = time.perf_counter()

    def stop(signum, frame):  # a time limit stops every arm, not only this driver
        for proc, _ in running.values():
            proc.terminate()
        raise SystemExit(f"dmsft_vs_sft: stopped by signal {signum} after {time.perf_counter() - started:.0f}s")

    signal.signal(signal.SIGTERM, stop)
    while pending or running:
        while pending and len(running) < args.parallel:
            name = pending.pop(0)
            log = (out / "logs" / f"{name}.log").open("w")
            cmd = [sys.executable, __file__, "--out", str(out), "--model", args.model,
                   "--dataset-dir", args.dataset_dir, "--one", name]  # fmt: skip
            running[name] = (subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT), log)
        time.sleep(5)
        for name, (proc, log) in list(running.items()):
            if proc.poll() is not None:
                log.close()
                del running[name]
                (failed if proc.returncode else []).append(name)
                print(f"dmsft_vs_sft: {name} finished (exit {proc.returncode}) at {time.perf_counter() - started:.0f}s",
                      flush=True)  # fmt: skip
    print(f"dmsft_vs_sft: {len(names) - len(failed)}/{len(names)} done in {time.perf_counter() - started:.0f}s"
          + (f"; failed: {', '.join(failed)}" if failed else ""))  # fmt: skip
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
