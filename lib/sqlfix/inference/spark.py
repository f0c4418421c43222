"""Generation on a Spark cluster's executors: the ``Generator`` interface over ``mapInPandas``.

Each Python worker loads the model once (a per-process cache) and generates for its partition's prompts
in batches; the driver gets the candidates back in the prompts' order. The model folder must be readable
on the workers (a local path in local mode, ``/Volumes/...`` or ``/dbfs/...`` on Databricks). Used by
``sqlfix fix --table`` so that fixing a table's failed queries scales out with the cluster; verification
stays on the driver, whose session is the sandbox.
"""

from __future__ import annotations

from sqlfix.config import filled
from sqlfix.inference.generate import Candidate
from sqlfix.inference.resume import Resume

_WORKER_MODELS: dict[tuple, object] = {}
SCHEMA = "i int, k int, text string, sql string, logprob double, tokens int, complete boolean"


def _worker_generator(model_dir: str, batch_size: int, max_new_tokens: int):
    key = (model_dir, batch_size, max_new_tokens)
    if key not in _WORKER_MODELS:
        from sqlfix.inference.generate import HFGenerator

        _WORKER_MODELS[key] = HFGenerator(model_dir, batch_size=batch_size, max_new_tokens=max_new_tokens)
    return _WORKER_MODELS[key]


class SparkGenerator:
    """``generate`` as one Spark job: prompts spread over ``partitions`` tasks, a model per worker."""

    def __init__(self, spark, model_dir: str, batch_size: int | None = None, max_new_tokens: int | None = None,
                 partitions: int | None = None):  # fmt: skip
        """``batch_size``, ``max_new_tokens``: ``None`` takes the profile's ``evaluate`` setting."""
        settings = filled({"batch_size": batch_size, "max_new_tokens": max_new_tokens}, "evaluate")
        self.spark = spark
        self.name = str(model_dir)
        self.model_dir = str(model_dir)
        self.batch_size = settings["batch_size"]  # a number, or auto: resolved on each worker's device
        self.cap = int(settings["max_new_tokens"])
        self.partitions = partitions or spark.sparkContext.defaultParallelism
        self.samples_per_second = 0.0

    def generate(self, prompts, bugs, n=1, temperature=0.0, progress=True, max_time=None, resume=None):
        """``max_time`` holds on each worker (they generate side by side); a list of per-prompt limits, and each
        prompt's ``Resume``, travel with the prompts."""
        import pandas as pd

        if not prompts:
            return []
        model_dir, batch_size, cap = self.model_dir, self.batch_size, self.cap
        each = isinstance(max_time, list)
        limits = [float(t) for t in max_time] if each else [0.0] * len(prompts)
        resume = resume or [None] * len(prompts)
        spots = [(r.original, r.head, r.after) if r is not None else (None, None, None) for r in resume]

        def run(frames):
            generator = _worker_generator(model_dir, batch_size, cap)
            for frame in frames:
                if frame.empty:
                    continue
                resumes = [Resume(o, int(h), int(a)) if isinstance(o, str) else None
                           for o, h, a in zip(frame["original"], frame["head"], frame["after"], strict=True)]  # fmt: skip
                answers = generator.generate(list(frame["prompt"]), list(frame["bug"]), n=n, temperature=temperature,
                                             progress=False, max_time=list(frame["limit"]) if each else max_time,
                                             resume=resumes)  # fmt: skip
                rows = [(int(i), k, c.text, c.sql, float(c.logprob), int(c.tokens), bool(c.complete))
                        for i, cands in zip(frame["i"], answers, strict=True) for k, c in enumerate(cands)]  # fmt: skip
                yield pd.DataFrame(rows, columns=["i", "k", "text", "sql", "logprob", "tokens", "complete"])

        frame = self.spark.createDataFrame(
            [(i, p, b, t, *spot) for i, (p, b, t, spot) in enumerate(zip(prompts, bugs, limits, spots, strict=True))],
            "i int, prompt string, bug string, limit double, original string, head int, after int",
        ).repartition(min(self.partitions, len(prompts)))
        out: list[list[Candidate]] = [[] for _ in prompts]
        for row in sorted(frame.mapInPandas(run, SCHEMA).collect(), key=lambda r: (r["i"], r["k"])):
            out[row["i"]].append(Candidate(row["text"], row["sql"], row["logprob"], row["tokens"], row["complete"]))
        return out
