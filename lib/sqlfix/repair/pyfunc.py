"""The registered fixer as an MLflow pyfunc (what Databricks Model Serving and ``mlflow.pyfunc.load_model``
load): rows of ``sql``, ``schema`` (DDL, optional) and ``error`` (optional) in; ``fixed_sql``, ``verified``,
``source``, ``diff``, ``last_error``, ``confidence`` and ``reason`` (``repair.ranking``) out.

The model's HF folder is the artifact ``hf_model``. Where Java is available, a local Spark session is
started once per process and every fix is verified (the same ``Fixer`` as ``sqlfix fix``); without Java
(a bare serving container) the model's greedy answer is returned with ``verified = False`` and the reason
in ``last_error``.
"""

from __future__ import annotations

import math
import shutil
import threading

import mlflow.pyfunc


class FixerModel(mlflow.pyfunc.PythonModel):
    def load_context(self, context) -> None:
        from sqlfix.config import defaults
        from sqlfix.inference.generate import HFGenerator

        self.generator = HFGenerator(context.artifacts["hf_model"], batch_size=defaults("fix", "batch_size"))
        self.fixer = None
        self._lock = threading.Lock()
        if shutil.which("java"):
            from sqlfix.config import load_config
            from sqlfix.filtering.judge import judge_from_config
            from sqlfix.repair.service import Fixer
            from sqlfix.spark import get_spark

            cfg = load_config("local")
            self.fixer = Fixer.from_config(judge_from_config(get_spark(cfg), cfg), self.generator, cfg["fix"])

    def predict(self, context, model_input, params=None):
        import pandas as pd

        rows = model_input.to_dict("records") if hasattr(model_input, "to_dict") else list(model_input)
        out = []
        for row in rows:
            sql, schema, error = (_field(row, k) for k in ("sql", "schema", "error"))
            if self.fixer is not None:
                # One caller's request at a time: the sandbox holds only this row's schema (Fixer._load), and a
                # row that cannot be read gets its own error (Fixer._start_safely), never the batch.
                with self._lock:
                    result = self.fixer.fix(sql if sql is not None else "", schema, error).as_dict()
                last = result["last_error"] or (result["note"] if result["note"].startswith("not fixed") else None)
                out.append({**{k: result[k] for k in ("fixed_sql", "verified", "source", "diff")}, "last_error": last,
                            "confidence": result["confidence"], "reason": result["reason"]})  # fmt: skip
                continue
            if not isinstance(sql, str):
                out.append({"fixed_sql": None, "verified": False, "source": None, "diff": "",
                            "last_error": "not fixed: sql must be a string", "confidence": None, "reason": ""})  # fmt: skip
                continue
            from sqlfix.dataset.prompt import render_prompt

            answer = self.generator.generate([render_prompt(schema, sql, error or "")], [sql], progress=False)[0][0]
            out.append({"fixed_sql": answer.sql, "verified": False, "source": "model", "diff": "",
                        "last_error": "not verified: no Java for Spark's analyzer in this environment",
                        "confidence": "low", "reason": "the model's answer, not verified"})  # fmt: skip
        return pd.DataFrame(out, columns=["fixed_sql", "verified", "source", "diff", "last_error", "confidence", "reason"])


def _field(row: dict, key: str):
    """A request field: missing, empty, None or NaN (pandas' missing value) is ``None``; a string as is;
    anything else is passed on for the fixer to refuse for that row."""
    value = row.get(key)
    if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
        return None
    return value


def fixer_registration(config_files: list[str | None]):
    """A ``training.run.run_training`` registration: the run's parameters, metrics and ``config_files`` (and the
    DeepSpeed config) logged to MLflow, the model registered as this fixer pyfunc with alias challenger."""

    def register(recipe, final, metrics: dict) -> dict:
        from sqlfix.registry.tracking import log_training

        files = [*config_files, recipe.cfg["deepspeed"]]
        return log_training(recipe.cfg, recipe, final, metrics, files, FixerModel())

    return register


def train_fixer(cfg: dict, config_file: str | None = None, register: bool = True) -> dict:
    """The training pipeline (``training.run``), and with ``register`` the fixer logged and registered."""
    from sqlfix.training.run import run_training

    return run_training(cfg, fixer_registration([config_file]) if register else None)
