"""``sqlfix promote`` / ``rollback`` end to end: registered versions, one eval set, stored evaluations
reused, the margin rule, and the alias moving back."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow

SCHEMA = "CREATE TABLE qa.orders (order_id BIGINT, amount DECIMAL(18,2))"


@pytest.fixture
def registry_ctx(ctx, tmp_path, tiny_model_dir, spark):
    """An eval set in the lake (sft_eval v0) and a registry whose versions were trained on it."""
    import mlflow
    from sqlfix.commands import Context
    from sqlfix.config import lay
    from sqlfix.dataset.build import SplitConfig, samples
    from sqlfix.tables import SFT_TRAIN

    rows = [{"pair_id": f"p{i}", "task_id": f"t{i}", "bug_sql": f"SELECT ordr_id FROM qa.orders LIMIT {i}",
             "fixed_sql": f"SELECT order_id FROM qa.orders LIMIT {i}", "schema_ddl": SCHEMA,
             "error_message": "[UNRESOLVED_COLUMN.WITH_SUGGESTION] `ordr_id`",
             "category_l3": "resolution.column.unresolved_column"} for i in range(3)]  # fmt: skip
    out, _ = samples(rows, SplitConfig(eval_fraction=1.0, per_category=0))
    ctx.lake.overwrite("sft_eval", spark.createDataFrame([{k: s[k] for k in SFT_TRAIN.column_names} for s in out],
                                                         SFT_TRAIN.spark_schema))  # fmt: skip
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    cfg = lay(ctx.cfg, overrides=[f"train.mlflow.tracking_uri={uri}", f"train.model={tiny_model_dir}",
                                  "evaluate.max_new_tokens=8", f"evaluate.model_cache={tmp_path}/cache"])  # fmt: skip
    mlflow.set_tracking_uri(uri)
    mlflow.set_experiment("train")
    return Context(cfg, _spark=spark, _lake=ctx.lake), ctx.lake.version("sft_eval")


def _register(tiny_model_dir, eval_version: int) -> str:
    import mlflow
    from sqlfix.registry.tracking import log_model
    from sqlfix.repair.pyfunc import FixerModel

    with mlflow.start_run():
        mlflow.set_tag("dataset_version", f"sft_train@v0+sft_eval@v{eval_version}")
        info = log_model(tiny_model_dir, "sqlfix-fixer", FixerModel())
    mlflow.MlflowClient().set_registered_model_alias("sqlfix-fixer", "challenger", info.registered_model_version)
    return str(info.registered_model_version)


def test_promote_and_rollback(registry_ctx, tiny_model_dir, capsys):
    import mlflow

    registry_ctx, version = registry_ctx
    from sqlfix.cli import main

    def cli(*argv):
        capsys.readouterr()
        code = main([*argv, "--debug"], ctx=registry_ctx)
        captured = capsys.readouterr()
        return code, captured.out + captured.err

    client = mlflow.MlflowClient()
    champion = lambda: str(client.get_model_version_by_alias("sqlfix-fixer", "champion").version)  # noqa: E731
    assert _register(tiny_model_dir, version) == "1"
    code, out = cli("promote")
    assert code == 0 and f"sqlfix-fixer v1 vs base on sft_eval@v{version}: PROMOTE" in out and champion() == "1", out
    assert registry_ctx.lake.read("eval_runs").count() == 2  # v1 and base evaluated
    assert _register(tiny_model_dir, version) == "2"
    code, out = cli("promote")  # v2 vs champion v1: v1's evaluation is reused
    assert code == 0 and "v2 vs sqlfix-fixer v1" in out and champion() == "2"
    assert registry_ctx.lake.read("eval_runs").count() == 3
    assert client.get_model_version("sqlfix-fixer", "2").tags["promotion.previous_champion"] == "1"
    code, out = cli("rollback")
    assert code == 0 and "v2 -> v1" in out and champion() == "1"
    code, out = cli("--set", "promote.margin=0.5", "promote")  # a margin nothing clears: refused, exit 3
    assert code == 3 and "KEEP - ast 0.000 does not beat champion 0.000 + margin 0.500" in out and champion() == "1"
    assert client.get_model_version("sqlfix-fixer", "2").tags["promotion.decision"] == "refused"
    assert registry_ctx.lake.read("eval_runs").count() == 3  # nothing evaluated again
