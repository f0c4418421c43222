"""bundle.yml and resources/*.yml validate against the Databricks bundle JSON schema."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from sqlfix.cli import COMMANDS, JOBS

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT.parent / "shared" / "reference" / "databricks-bundle-schema.json"


def _bundle() -> dict:
    bundle = yaml.safe_load((ROOT / "bundle.yml").read_text())
    for pattern in bundle.get("include", []):
        for path in sorted(ROOT.glob(pattern)):
            part = yaml.safe_load(path.read_text())
            for key, value in part.items():
                for kind, items in value.items():
                    bundle.setdefault(key, {}).setdefault(kind, {}).update(items)
    return bundle


def _python_regex(text: str) -> str:
    # The schema's patterns use Unicode classes (\\p{L}, \\p{N}) that Python's re spells differently.
    return text.replace("\\p{L}", "[^\\W\\d_]").replace("\\p{N}", "\\d")


@pytest.mark.skipif(not SCHEMA.is_file(), reason="shared/reference is not beside this checkout")
def test_bundle_validates_against_the_schema():
    schema = json.loads(
        SCHEMA.read_text(),
        object_hook=lambda o: {
            k: _python_regex(v) if k == "pattern" and isinstance(v, str) else v for k, v in o.items()
        },
    )
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = sorted(validator.iter_errors(_bundle()), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message[:200]}" for e in errors[:10])
    # And a broken bundle is caught, so the check can fail.
    broken = _bundle()
    next(iter(broken["resources"]["jobs"].values()))["tasks"] = {"not": "a list"}
    assert list(validator.iter_errors(broken))


def test_bundle_wires_every_job_to_an_entry_point_with_catalog_and_schema():
    assert not (ROOT / "databricks.yml").exists()
    bundle = _bundle()
    assert {t["mode"] for t in bundle["targets"].values()} == {"development", "production"}
    jobs = bundle["resources"]["jobs"]
    assert jobs, "no jobs wired"
    for job in jobs.values():
        for task in job["tasks"]:
            wheel = task["python_wheel_task"]
            command = wheel["entry_point"].removeprefix("sqlfix-")
            assert command in JOBS  # a console entry point sqlfix-<command> (setup.py reads cli.JOBS)
            params = wheel["parameters"]
            assert params[params.index("--catalog") + 1] == "${var.catalog}"
            assert params[params.index("--schema") + 1] == "${var.schema}"


def _resolved(value: str, bundle: dict) -> str:
    """``${var.NAME}`` replaced by the variable's default."""
    for name, spec in bundle.get("variables", {}).items():
        value = value.replace("${var." + name + "}", str(spec.get("default")))
    return value


def test_every_task_runs_as_wired():
    """Each task's command line parses, its --set keys are settings, its config files resolve beside the
    installed configs, and the dataset the build task exports is where the train task reads it."""
    import importlib

    from sqlfix.cli import build_parser, overrides_of
    from sqlfix.config import load_config, resolve_conf_path

    bundle = _bundle()
    dataset_dirs = {}
    for job_name, job in bundle["resources"]["jobs"].items():
        for task in job["tasks"]:
            wheel = task["python_wheel_task"]
            command = wheel["entry_point"].removeprefix("sqlfix-")
            assert wheel["package_name"] == "sqlfix" and command in JOBS
            argv = [_resolved(p, bundle) for p in wheel["parameters"]]
            args = build_parser().parse_args([command, *argv])
            spec = importlib.import_module(COMMANDS[command]).SUBCOMMANDS[command]
            overrides = overrides_of(args)
            cfg = load_config(args.profile, overrides, None, spec.layers(args) if spec.layers else {}, spec.section)
            assert (cfg["lake"]["catalog"], cfg["lake"]["schema"], cfg["spark"]["profile"]) == (
                "main",
                "sqlfix",
                "cluster",
            )
            for flag in ("config", "deepspeed"):
                if getattr(args, flag, None):
                    assert resolve_conf_path(getattr(args, flag)) is not None, (job_name, flag)
            if command == "build-dataset":
                assert args.export == ""  # exports to train.dataset_dir
                dataset_dirs["export"] = cfg["train"]["dataset_dir"]
            if command == "train":
                dataset_dirs["train"] = cfg["train"]["dataset_dir"]
                assert cfg["train"]["output_dir"].startswith("/Volumes/main/sqlfix/sqlfix/")
                assert cfg["train"]["mlflow"]["tracking_uri"] == "databricks"
    assert dataset_dirs == {
        "export": "/Volumes/main/sqlfix/sqlfix/exports/sft",
        "train": "/Volumes/main/sqlfix/sqlfix/exports/sft",
    }


def test_schedules_and_the_on_demand_pipeline():
    """Ingest hourly, pairs daily, and build -> train -> evaluate -> promote on demand, in that order, on one
    registered model; training on a GPU cluster through the DeepSpeed distributor."""
    from sqlfix.cli import build_parser, overrides_of
    from sqlfix.config import load_config

    jobs = _bundle()["resources"]["jobs"]
    assert sorted(jobs) == ["ingest_logs", "oriented_generation_weekly", "pairs_daily", "train_evaluate_promote"]
    crons = {name: (job.get("schedule") or {}).get("quartz_cron_expression") for name, job in jobs.items()}
    assert crons == {"ingest_logs": "0 5 * * * ?", "pairs_daily": "0 30 2 * * ?",
                     "oriented_generation_weekly": "0 0 4 ? * SUN", "train_evaluate_promote": None}  # fmt: skip
    weekly = [t["python_wheel_task"]["entry_point"] for t in jobs["oriented_generation_weekly"]["tasks"]]
    assert weekly == ["sqlfix-corpus", "sqlfix-targets", "sqlfix-generate"]
    for name, job in jobs.items():
        keys = [t["task_key"] for t in job["tasks"]]
        for task in job["tasks"]:  # every dependency is an earlier task of the same job
            for dep in task.get("depends_on", []):
                assert dep["task_key"] in keys[: keys.index(task["task_key"])], (name, task["task_key"])
    chain = [(t["task_key"], [d["task_key"] for d in t.get("depends_on", [])], t["python_wheel_task"]["entry_point"])
             for t in jobs["train_evaluate_promote"]["tasks"]]  # fmt: skip
    assert chain == [("build", [], "sqlfix-build-dataset"), ("train", ["build"], "sqlfix-train"),
                     ("evaluate", ["train"], "sqlfix-evaluate"), ("promote", ["evaluate"], "sqlfix-promote")]  # fmt: skip
    assert [t["task_key"] for t in jobs["pairs_daily"]["tasks"]] == ["mine", "classify", "filter", "sample"]
    bundle = _bundle()
    models = set()
    for task in jobs["train_evaluate_promote"]["tasks"][1:]:
        wheel = task["python_wheel_task"]
        args = build_parser().parse_args([wheel["entry_point"].removeprefix("sqlfix-"),
                                          *[_resolved(p, bundle) for p in wheel["parameters"]]])  # fmt: skip
        models.add(load_config(args.profile, overrides_of(args))["train"]["mlflow"]["registered_model"])
        if task["task_key"] == "train":
            assert args.on_spark and args.use_gpu and args.deepspeed  # -> DeepspeedTorchDistributor
    assert models == {"main.sqlfix.sqlfix_fixer"} == {"main.sqlfix." + bundle["variables"]["model_name"]["default"]}
    clusters = {c["job_cluster_key"]: c["new_cluster"] for c in jobs["train_evaluate_promote"]["job_clusters"]}
    assert "gpu" in clusters["gpu"]["spark_version"] and "gpu" not in clusters["cpu"]["spark_version"]
    prod = bundle["targets"]["prod"]
    assert prod["mode"] == "production" and prod["workspace"]["root_path"] and prod["permissions"]


def _tasks_with_files():
    for path in sorted((ROOT / "resources").glob("*.yml")):
        for name, job in yaml.safe_load(path.read_text())["resources"]["jobs"].items():
            for task in job["tasks"]:
                yield path, name, job, task


def test_the_bundle_deploys_as_databricks_runs_it():
    """Issue 25: the wheel path resolves from each resource file, the tasks get the wheel's extras, the runtime's
    Spark is the one the package needs, clusters are single-user Unity Catalog ones, failures notify, prod runs
    as a service principal, and the model is registered under catalog.schema."""
    import re

    setup = (ROOT / "setup.py").read_text()
    assert '"pyspark>=4.0,<5"' in setup  # what the runtime below must provide
    for path, name, job, task in _tasks_with_files():
        libraries = task["libraries"]
        wheels = [lib["whl"] for lib in libraries if "whl" in lib]
        assert wheels == ["../dist/*.whl"] and (path.parent / wheels[0]).parent.resolve() == ROOT / "dist"
        pypi = {lib["pypi"]["package"] for lib in libraries if "pypi" in lib}
        assert "sqlglot[c]>=26" in pypi, (name, task["task_key"])
        if task["task_key"] in ("train", "evaluate", "promote"):
            assert {"transformers>=5.0", "accelerate>=0.34", "deepspeed>=0.15"} <= pypi
        assert job["email_notifications"] == {"on_failure": ["${var.notify_on_failure}"]}
        for cluster in job["job_clusters"]:
            spec = cluster["new_cluster"]
            major = int(re.match(r"(\d+)\.", spec["spark_version"]).group(1))
            assert major >= 17, (name, spec["spark_version"])  # DBR 17 is Spark 4.0; 16.4 is Spark 3.5
            assert spec["data_security_mode"] == "SINGLE_USER"
    bundle = _bundle()
    assert bundle["targets"]["prod"]["run_as"] == {"service_principal_name": "${var.run_as}"}
    assert "default" not in bundle["variables"]["run_as"]  # prod must name it; dev runs as the deployer
    assert bundle["targets"]["dev"]["variables"]["notify_on_failure"] == "${workspace.current_user.userName}"
    from sqlfix.config import load_config

    mlflow_cfg = load_config("databricks")["train"]["mlflow"]
    assert (mlflow_cfg["registry_uri"], len(mlflow_cfg["registered_model"].split("."))) == ("databricks-uc", 3)


def test_the_hourly_ingest_takes_the_log_format_and_prod_reads_the_query_history():
    from sqlfix.cli import build_parser

    bundle = _bundle()
    task = bundle["resources"]["jobs"]["ingest_logs"]["tasks"][0]
    params = task["python_wheel_task"]["parameters"]
    assert params[params.index("--format") + 1] == "${var.log_format}"
    assert bundle["targets"]["prod"]["variables"]["log_format"] == "databricks_query_history"
    assert bundle["targets"]["prod"]["variables"]["log_source"] == "system.query.history"
    prod = {**{k: v.get("default") for k, v in bundle["variables"].items()}, **bundle["targets"]["prod"]["variables"]}
    argv = [p.replace("${var.log_format}", prod["log_format"]).replace("${var.log_source}", prod["log_source"])
            for p in params]  # fmt: skip
    args = build_parser().parse_args(["ingest", *argv])
    assert (args.format, args.source) == ("databricks_query_history", "system.query.history")
