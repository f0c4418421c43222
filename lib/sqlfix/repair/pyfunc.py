"""The registered fixer as an MLflow pyfunc (what Databricks Model Serving and ``mlflow.pyfunc.load_model``
load): rows of ``sql``, ``schema`` (DDL, optional) and ``error`` (optional) in; ``fixed_sql``, ``verified``,
``source``, ``diff`` and ``last_error`` out.

The model's HF folder is the artifact ``hf_model``. Where Java is available, a local Spark session is
started once per process and every fix is verified (the same ``Fixer`` as ``sqlfix fix``); without Java
(a bare serving container) the model's greedy answer is returned with ``verified = False`` and the reason
in ``last_error``.
"""

from __future__ import annotations

import shutil

import mlflow.pyfunc


class FixerModel(mlflow.pyfunc.PythonModel):
    def load_context(self, context) -> None:
        from sqlfix.inference.generate import HFGenerator

        self.generator = HFGenerator(context.artifacts["hf_model"], batch_size=4)
        self.fixer = None
        if shutil.which("java"):
            from sqlfix.config import load_config
            from sqlfix.filtering.judge import judge_from_config
            from sqlfix.repair.service import Fixer
            from sqlfix.spark import get_spark

            cfg = load_config("local")
            self.fixer = Fixer(judge_from_config(get_spark(cfg), cfg), self.generator)

    def predict(self, context, model_input, params=None):
        import pandas as pd

        rows = model_input.to_dict("records") if hasattr(model_input, "to_dict") else list(model_input)
        out = []
        for row in rows:
            sql, schema, error = row.get("sql") or "", row.get("schema"), row.get("error")
            if self.fixer is not None:
                result = self.fixer.fix(sql, schema or None, error or None).as_dict()
                out.append({k: result[k] for k in ("fixed_sql", "verified", "source", "diff", "last_error")})
                continue
            from sqlfix.dataset.prompt import render_prompt

            answer = self.generator.generate([render_prompt(schema, sql, error or "")], [sql], progress=False)[0][0]
            out.append({"fixed_sql": answer.sql, "verified": False, "source": "model", "diff": "",
                        "last_error": "not verified: no Java for Spark's analyzer in this environment"})  # fmt: skip
        return pd.DataFrame(out, columns=["fixed_sql", "verified", "source", "diff", "last_error"])
