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


def test_layers_bare_keys_output_root_and_sources(tmp_path):
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text("p: 0.7\nmlflow:\n  experiment: mine\n")
    cfg = load_config(layers={"train": str(recipe)}, overrides=["p=0.3", "output_root=/data/x"], bare_section="train")
    assert (cfg["train"]["p"], cfg["train"]["mode"], cfg["train"]["mlflow"]["experiment"]) == (0.3, "line", "mine")
    assert cfg["train"]["mlflow"]["registered_model"] == "sqlfix-fixer"  # the profile's default, under the recipe
    assert (cfg["lake"]["root"], cfg["train"]["output_dir"], cfg["train"]["mlflow"]["tracking_uri"]) == (
        "/data/x/lake", "/data/x/runs/dmsft", "sqlite:////data/x/mlflow.db"
    )  # fmt: skip
    assert (cfg.sources["train.p"], cfg.sources["train.mlflow.experiment"], cfg.sources["train.mode"]) == (
        "--set", str(recipe), cfg["conf_dir"] + "/local.yaml"
    )  # fmt: skip


def test_an_override_must_name_a_setting():
    with pytest.raises(ConfigError, match="no such setting: ingest.max_sql_byte"):
        load_config(overrides=["ingest.max_sql_byte=10"])
    with pytest.raises(ConfigError, match="no such setting: p"):
        load_config(overrides=["p=0.3"])  # bare keys only where the command has a section
    assert load_config(overrides=["ingest.column_map.event_id=id"])["ingest"]["column_map"] == {"event_id": "id"}


def test_config_show_prints_values_and_sources(run_cli):
    import json

    shown = json.loads(run_cli("config", "show", "--json", "--set", "ingest.max_sql_bytes=5"))
    assert shown["ingest.max_sql_bytes"] == {"value": 5, "source": "--set"}
    assert shown["train.p"]["value"] == 0.0 and shown["train.p"]["source"].endswith("conf/local.yaml")
    with_recipe = json.loads(run_cli("config", "show", "--json", "train", "--config", "conf/train/dmsft.yaml"))
    assert with_recipe["train.p"] == {"value": 0.5, "source": "conf/train/dmsft.yaml"}


def test_no_local_output_folder_shadows_an_installed_package():
    """A top-level output folder named like a package (``datasets/``) is imported as that package by
    anything run from the repository root: transformers then believes HF ``datasets`` is installed and
    the Trainer fails (``make demo`` then ``make test`` in one checkout did exactly that)."""
    import importlib.machinery
    import sys
    from pathlib import PurePosixPath

    from sqlfix.config import PATH_KEYS, load_config

    cfg = load_config("local", overrides=["output_root=."])
    tops = []
    for key in PATH_KEYS:
        value = cfg
        for part in key.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if isinstance(value, str) and "://" not in value and not value.startswith("/"):
            tops.append(PurePosixPath(value).parts[0])
    assert sorted(set(tops)) == [".demo", "exports", "lake", "models", "runs"]
    installed = [p for p in sys.path if "site-packages" in p or (p and p.startswith(sys.base_prefix))]
    assert [t for t in tops if importlib.machinery.PathFinder.find_spec(t, installed) is not None] == []
    probed = {"datasets", "evaluate", "peft", "accelerate", "deepspeed", "vllm", "wandb", "tensorboard", "data"}
    assert probed.isdisjoint(tops)  # optional packages libraries look for by name, installed here or not


def test_a_commands_flags_are_settings_with_the_flag_as_their_source(run_cli):
    import json

    def show(*argv):
        return json.loads(run_cli("config", "show", "--json", *argv))

    shown = show("train", "--config", "conf/train/dmsft.yaml", "--set", "p=0.2", "--p", "0.3", "--max-steps", "3")
    assert (shown["train.p"], shown["train.max_steps"]) == (
        {"value": 0.3, "source": "--p"}, {"value": 3, "source": "--max-steps"}  # a flag wins over --set
    )  # fmt: skip
    assert shown["train.learning_rate"]["source"].endswith("conf/local.yaml")
    assert show("build-dataset", "--no-generated")["dataset.generated"] == {"value": False, "source": "--no-generated"}
    assert show("promote", "--limit", "7")["evaluate.limit"] == {"value": 7, "source": "--limit"}
    assert show("spotcheck", "gate", "--threshold", "0.9")["spotcheck.threshold"] == {"value": 0.9, "source": "--threshold"}
    assert show("ingest", "--format", "spark_event_log")["ingest.format"]["source"] == "--format"
    assert show()["train.max_steps"]["source"].endswith("conf/local.yaml")  # nothing shown: nothing laid


def test_the_environment_is_a_tracked_source(monkeypatch, tmp_path, capsys):
    import json

    from sqlfix.cli import main

    monkeypatch.setenv("SQLFIX_OUTPUT_ROOT", str(tmp_path))
    monkeypatch.setenv("SQLFIX_LAKE_ROOT", str(tmp_path / "lake"))
    assert main(["--catalog", "true", "config", "show", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["output_root"] == {"value": str(tmp_path), "source": "SQLFIX_OUTPUT_ROOT"}
    assert shown["lake.root"] == {"value": str(tmp_path / "lake"), "source": "SQLFIX_LAKE_ROOT"}
    assert shown["lake.catalog"] == {"value": "true", "source": "--catalog"}  # a flag's text, never read as YAML
    assert main(["--lake-root", "/x/lake", "config", "show", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["lake.root"] == {"value": "/x/lake", "source": "--lake-root"}


def test_code_restates_no_default(monkeypatch):
    """Classes and functions with settings take their defaults from conf/local.yaml (``config.filled``)."""
    from sqlfix.config import defaults
    from sqlfix.generation.llm import LLMGenerator, OpenAIChat
    from sqlfix.optimize.reward import Reward

    chat = OpenAIChat("http://localhost:1/v1", "m", api_key_env=None)
    llm = defaults("generation", "llm")
    assert (chat.concurrency, chat.retries, chat.timeout_s, chat.max_tokens) == (
        llm["concurrency"], llm["retries"], llm["timeout_s"], llm["max_tokens"]
    )  # fmt: skip
    assert LLMGenerator(chat).max_requests == llm["max_requests"]
    reward = defaults("optimize", "reward")
    assert (Reward().cap, Reward().keep_threshold, Reward(cap=10).cap) == (reward["cap"], reward["keep_threshold"], 10)
