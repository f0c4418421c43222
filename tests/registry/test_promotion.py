"""Promotion rules, the alias moves and their tags, rollback, and the registered pyfunc's round trip."""

from __future__ import annotations

import json

import pytest
from sqlfix.registry.promotion import decide

pytestmark = pytest.mark.slow


def _summary(ast: float, cats: dict[str, tuple[int, float]]) -> dict:
    return {"overall": {"ast": ast}, "by_category_l2": {k: {"n": n, "ast": a} for k, (n, a) in cats.items()}}


def test_decide():
    base = _summary(0.10, {"syntax.keyword": (5, 0.2)})
    champion = _summary(0.50, {"syntax.keyword": (5, 0.8), "resolution.column": (5, 0.4), "rare.leaf": (2, 1.0)})
    better = _summary(0.60, {"syntax.keyword": (5, 0.75), "resolution.column": (5, 0.6), "rare.leaf": (2, 0.0)})
    d = decide(better, champion, base, margin=0.05, max_category_drop=0.1)
    assert d.promote and d.against == "champion"
    assert d.evidence["category_drops"] == {"syntax.keyword": 0.05}  # rare.leaf: too few samples to compare
    assert not decide(better, champion, base, margin=0.2).promote  # 0.60 < 0.50 + 0.2
    regressed = _summary(0.60, {"syntax.keyword": (5, 0.4), "resolution.column": (5, 0.6)})
    refused = decide(regressed, champion, base)
    assert (refused.promote, refused.reason) == (False, "category syntax.keyword drops 0.400 (> 0.100)")
    first = decide(_summary(0.2, {}), None, base)
    assert (first.promote, first.against) == (True, "base")
    assert not decide(_summary(0.05, {}), None, base).promote  # the first challenger must still beat the base


@pytest.fixture
def registry(tmp_path, tiny_model_dir):
    """Three registered versions of the fixer pyfunc (the tiny model), on a sqlite store."""
    import mlflow
    from sqlfix.registry.tracking import log_model
    from sqlfix.repair.pyfunc import FixerModel

    mlflow.set_tracking_uri(f"sqlite:///{tmp_path}/mlflow.db")
    mlflow.set_experiment("t")
    for _ in range(3):
        with mlflow.start_run():
            log_model(tiny_model_dir, "fixer", FixerModel())
    return mlflow.MlflowClient()


def test_apply_and_rollback(registry):
    from sqlfix.errors import SqlfixError
    from sqlfix.registry.promotion import apply, rollback

    win = decide(_summary(0.2, {}), None, _summary(0.1, {}))
    apply(registry, "fixer", "1", win, previous=None)
    assert str(registry.get_model_version_by_alias("fixer", "champion").version) == "1"
    with pytest.raises(SqlfixError, match="replaced no earlier champion"):
        rollback(registry, "fixer")
    apply(registry, "fixer", "2", win, previous="1")
    lose = decide(_summary(0.0, {}), _summary(0.2, {}), None)
    apply(registry, "fixer", "3", lose, previous="2")
    assert str(registry.get_model_version_by_alias("fixer", "champion").version) == "2"
    tags = registry.get_model_version("fixer", "3").tags
    assert tags["promotion.decision"] == "refused" and json.loads(tags["promotion.evidence"])["champion"] == 0.2
    assert registry.get_model_version("fixer", "2").tags["promotion.previous_champion"] == "1"
    assert rollback(registry, "fixer") == ("2", "1")
    assert str(registry.get_model_version_by_alias("fixer", "champion").version) == "1"


def test_the_registered_model_is_a_fixer_pyfunc(registry, spark, tmp_path):
    import mlflow
    import pandas as pd
    from sqlfix.registry.models import resolve

    model = mlflow.pyfunc.load_model("models:/fixer/1")
    out = model.predict(pd.DataFrame([
        {"sql": "SELECT ordr_id FROM qa.orders", "schema": "CREATE TABLE qa.orders (order_id BIGINT)", "error": None},
        {"sql": "SELECT order_id FROM qa.orders", "schema": "CREATE TABLE qa.orders (order_id BIGINT)", "error": None},
    ]))  # fmt: skip
    assert out[["fixed_sql", "verified", "source"]].to_dict("records") == [
        {"fixed_sql": "SELECT order_id FROM qa.orders", "verified": True, "source": "suggestion"},
        {"fixed_sql": "SELECT order_id FROM qa.orders", "verified": True, "source": "unchanged"},
    ]
    train = {"model": "unused", "mlflow": {"tracking_uri": mlflow.get_tracking_uri(), "registered_model": "fixer"}}
    resolved = resolve("v1", train, tmp_path / "cache")
    assert (resolved.name, resolved.version) == ("fixer", "1")
    assert (tmp_path / "cache" / "fixer-v1" / ".complete").is_file()
    assert sorted(p.name for p in __import__("pathlib").Path(resolved.path).glob("*.safetensors")) == [
        "model.safetensors"
    ]
