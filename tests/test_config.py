from __future__ import annotations

import pytest
from sqlfix.config import ConfigError, load_config


def test_local_profile_with_overrides_and_lake_root(tmp_path, monkeypatch):
    monkeypatch.delenv("SQLFIX_LAKE_ROOT", raising=False)
    cfg = load_config(overrides=["ingest.max_sql_bytes=10", "spark.extra.spark.foo=bar"])
    assert cfg["ingest"]["max_sql_bytes"] == 10
    assert cfg["lake"]["root"] == "lake"
    monkeypatch.setenv("SQLFIX_LAKE_ROOT", str(tmp_path))
    assert load_config()["lake"]["root"] == str(tmp_path)
    assert load_config(lake_root="/elsewhere")["lake"]["root"] == "/elsewhere"


def test_databricks_profile_lays_over_local():
    cfg = load_config("databricks")
    assert cfg["spark"]["profile"] == "cluster"
    assert cfg["lake"]["backend"] == "delta"
    assert cfg["ingest"]["max_sql_bytes"] == 1_000_000  # from local.yaml


def test_bad_profile_and_override_are_clear_errors():
    with pytest.raises(ConfigError, match="unknown profile"):
        load_config("nope")
    with pytest.raises(ConfigError, match="key.sub=value"):
        load_config(overrides=["no_equals_sign"])
