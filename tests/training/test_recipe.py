"""End to end on CPU: DM-SFT with DeepSpeed ZeRO-2 on a tiny random model, killed and resumed, then logged
to MLflow and registered with alias challenger."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def _dataset(out, n: int = 24) -> None:
    from sqlfix.dataset.prompt import render_prompt
    from sqlfix.simulate import bugs
    from sqlfix.simulate.queries import compose

    rng = random.Random(3)
    out.mkdir(parents=True, exist_ok=True)
    with (out / "train.jsonl").open("w") as fh:
        while n:
            fix = compose(rng, size=1)
            mutated = bugs.column_typo(fix.split("\n"), rng)
            if mutated is None:
                continue
            bug = "\n".join(mutated[0])
            fh.write(
                json.dumps(
                    {
                        "prompt": render_prompt(None, bug, "[UNRESOLVED_COLUMN.WITH_SUGGESTION] ..."),
                        "bug_sql": bug,
                        "target": fix,
                    }
                )
                + "\n"
            )
            n -= 1
    (out / "manifest.json").write_text(json.dumps({"dataset_version": "sft_train@v0+sft_eval@v0"}))


def _train_cmd(cfg_file, *extra) -> list[str]:
    return [sys.executable, "-m", "sqlfix.cli", "train", "--config", str(cfg_file), *extra]


def test_train_kill_resume_register(tiny_model_dir, tmp_path):
    pytest.importorskip("deepspeed")
    pytest.importorskip("mlflow")
    import yaml

    data, out = tmp_path / "data", tmp_path / "run"
    _dataset(data)
    cfg = yaml.safe_load(open("conf/train/dmsft.yaml"))
    cfg.update(dataset_dir=str(data), model=str(tiny_model_dir), output_dir=str(out), batch_size=2, gradient_accumulation_steps=1,
               max_steps=8, save_steps=2, epochs=1, learning_rate=1e-3, max_length=1024, gradient_checkpointing=False,
               deepspeed="conf/deepspeed/zero2.json", p=0.5)  # fmt: skip
    cfg["mlflow"] = {
        "tracking_uri": f"sqlite:///{tmp_path}/mlflow.db",
        "experiment": "test",
        "registered_model": "tiny-fixer",
    }
    cfg_file = tmp_path / "train.yaml"
    cfg_file.write_text(yaml.safe_dump(cfg))
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "CUDA_VISIBLE_DEVICES": "", "DS_ACCELERATOR": "cpu"}

    # First run: SIGKILLed right after it saved checkpoint-4 (no clean shutdown).
    first = subprocess.run(
        _train_cmd(cfg_file, "--no-register", "--set", "kill_at_step=4"),
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert first.returncode == -9, first.stdout[-3000:] + first.stderr[-3000:]
    assert (out / "checkpoint-4").exists() and not (out / "checkpoint-6").exists() and not (out / "final").exists()

    # Second run resumes from the newest checkpoint, finishes, logs and registers.
    done = subprocess.run(_train_cmd(cfg_file), env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "resumed from" in done.stdout and "checkpoint-" in done.stdout, done.stdout
    assert "8 steps" in done.stdout and "as challenger" in done.stdout
    state = json.loads((out / "checkpoint-8" / "trainer_state.json").read_text())
    losses = [h for h in state["log_history"] if "loss" in h]
    assert [h["step"] for h in losses][-1] == 8 and all("loss_diff" in h and "loss_consistent" in h for h in losses)

    import mlflow

    mlflow.set_tracking_uri(cfg["mlflow"]["tracking_uri"])
    client = mlflow.MlflowClient()
    version = client.get_model_version_by_alias("tiny-fixer", "challenger")
    run = client.get_run(version.run_id)
    assert run.data.params["p"] == "0.5" and run.data.params["dataset_version"] == "sft_train@v0+sft_eval@v0"
    assert run.data.params["resumed_from"].endswith("checkpoint-4")
    assert [m.step for m in client.get_metric_history(run.info.run_id, "loss_diff")][-1] == 8
    for metric in ("loss", "loss_consistent", "learning_rate", "tokens_per_second"):
        assert client.get_metric_history(run.info.run_id, metric), metric
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert "loss_curves.png" in artifacts and "config" in artifacts


def test_continued_pretraining_with_frozen_embeddings(tiny_model_dir, tmp_path):
    import torch
    from sqlfix.simulate.queries import compose
    from sqlfix.training.recipe import RecipeError
    from sqlfix.training.run import run_training
    from transformers import AutoModelForCausalLM

    rng = random.Random(1)
    corpus = tmp_path / "corpus.sql"
    corpus.write_text(";\n".join(compose(rng) for _ in range(12)))
    cfg = {"stage": "cpt", "corpus": str(corpus), "model": str(tiny_model_dir), "output_dir": str(tmp_path / "cpt"),
           "max_length": 128, "batch_size": 4, "max_steps": 3, "learning_rate": 1e-2, "save_steps": 100,
           "freeze_embeddings": True, "dataset_dir": None, "packing": True}  # fmt: skip
    result = run_training(cfg)
    assert result["steps"] == 3
    before = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    after = AutoModelForCausalLM.from_pretrained(result["final"])
    assert torch.equal(before.get_input_embeddings().weight, after.get_input_embeddings().weight)
    assert not torch.equal(before.model.layers[0].mlp.up_proj.weight, after.model.layers[0].mlp.up_proj.weight)
    with pytest.raises(RecipeError, match="corpus"):
        run_training({**cfg, "corpus": str(tmp_path / "missing.sql")})


def test_training_through_spark_torch_distributor(spark, tiny_model_dir, tmp_path):
    from sqlfix.commands.train import train_on_spark

    data = tmp_path / "data"
    _dataset(data, n=8)
    cfg = {"dataset_dir": str(data), "model": str(tiny_model_dir), "output_dir": str(tmp_path / "dist"), "max_length": 1024,
           "batch_size": 2, "max_steps": 2, "save_steps": 100, "p": 0.5}  # fmt: skip
    result = train_on_spark(cfg, num_processes=1, local_mode=True, register=False)
    assert result["steps"] == 2 and (tmp_path / "dist" / "final" / "config.json").is_file()


def test_zero3_trains_and_saves_full_weights(tiny_model_dir, tmp_path):
    pytest.importorskip("deepspeed")
    import yaml

    data, out = tmp_path / "data", tmp_path / "z3"
    _dataset(data, n=8)
    cfg = {"dataset_dir": str(data), "model": str(tiny_model_dir), "output_dir": str(out), "max_length": 1024, "batch_size": 2,
           "max_steps": 2, "save_steps": 100, "p": 0.5, "deepspeed": "conf/deepspeed/zero3.json", "learning_rate": 1e-3,
           "gradient_checkpointing": True}  # fmt: skip
    cfg_file = tmp_path / "z3.yaml"
    cfg_file.write_text(yaml.safe_dump(cfg))
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "CUDA_VISIBLE_DEVICES": "", "DS_ACCELERATOR": "cpu"}
    done = subprocess.run(_train_cmd(cfg_file, "--no-register"), env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(out / "final")  # gathered 16-bit weights, not ZeRO shards
    assert model.get_input_embeddings().weight.shape[0] > 100


def test_train_set_p_reaches_the_recipe_and_the_registry(tiny_model_dir, tmp_path, capsys):
    """`sqlfix train --set p=0.3` (a bare training key) trains with p = 0.3: the collator draws with it and the
    MLflow run records it. A key that is no setting is an error, not silently ignored."""
    pytest.importorskip("mlflow")
    from sqlfix.cli import main

    data, out = tmp_path / "data", tmp_path / "run"
    _dataset(data, n=4)
    argv = ["train", "--set", "p=0.3", "--set", f"model={tiny_model_dir}", "--set", f"dataset_dir={data}",
            "--set", f"output_dir={out}", "--set", "max_steps=1", "--set", "batch_size=2", "--set", "max_length=1024",
            "--set", "gradient_checkpointing=false", "--set", f"mlflow.tracking_uri=sqlite:///{tmp_path}/mlflow.db",
            "--set", "mlflow.registered_model=p-fixer"]  # fmt: skip
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert printed.splitlines()[0].startswith("train: stage sft, p=0.3, mode line, model ")
    import mlflow

    mlflow.set_tracking_uri(f"sqlite:///{tmp_path}/mlflow.db")
    client = mlflow.MlflowClient()
    run = client.get_run(client.get_model_version_by_alias("p-fixer", "challenger").run_id)
    assert (run.data.params["p"], run.data.params["mode"]) == ("0.3", "line")
    assert main(["train", "--set", "q=0.3"]) == 2
    assert capsys.readouterr().err == "sqlfix train: no such setting: q — `sqlfix config show` lists the settings\n"


def test_kill_mid_checkpoint_and_in_registration_then_rerun_completes(tiny_model_dir, tmp_path):
    """Issue 25: a SIGKILL while a checkpoint is written leaves no checkpoint a rerun chokes on; a SIGKILL
    between registering and setting the alias leaves a RUNNING run and a version without alias, which the
    next run closes and completes, training nothing more (exactly max_steps)."""
    pytest.importorskip("deepspeed")
    import mlflow
    import yaml

    data, out = tmp_path / "data", tmp_path / "run"
    _dataset(data, n=8)
    cfg = yaml.safe_load(open("conf/train/dmsft.yaml"))
    cfg.update(dataset_dir=str(data), model=str(tiny_model_dir), output_dir=str(out), batch_size=2,
               gradient_accumulation_steps=1, max_steps=4, save_steps=2, epochs=1, learning_rate=1e-3,
               max_length=1024, gradient_checkpointing=False, deepspeed=None, p=0.5)  # fmt: skip
    cfg["mlflow"] = {"tracking_uri": f"sqlite:///{tmp_path}/mlflow.db", "experiment": "test",
                     "registered_model": "tiny-fixer"}  # fmt: skip
    cfg_file = tmp_path / "train.yaml"
    cfg_file.write_text(yaml.safe_dump(cfg))
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "CUDA_VISIBLE_DEVICES": ""}

    def train(*extra):
        return subprocess.run(_train_cmd(cfg_file, *extra), env=env, capture_output=True, text=True, timeout=900)

    mid = train("--no-register", "--set", "kill_at_step=4", "--set", "kill_at=mid_save")
    assert mid.returncode == -9, mid.stdout[-3000:] + mid.stderr[-3000:]
    assert sorted(p.name for p in out.glob("checkpoint-*")) == ["checkpoint-2"]  # 4 was half written, unnamed
    assert list((out / ".staging").glob("checkpoint-4"))
    (out / "checkpoint-3").mkdir()  # an empty folder, as an older release left after such a kill

    registering = train("--set", "kill_at=before_alias")
    assert registering.returncode == -9, registering.stdout[-3000:] + registering.stderr[-3000:]
    assert "skipping incomplete checkpoint-3" in registering.stdout and not (out / ".staging").exists()
    mlflow.set_tracking_uri(cfg["mlflow"]["tracking_uri"])
    client = mlflow.MlflowClient()
    (left,) = client.search_model_versions("name = 'tiny-fixer'")
    assert left.aliases == [] and client.get_run(left.run_id).info.status == "RUNNING"

    done = train()
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "nothing to train" in done.stdout and "4 steps" in done.stdout
    assert f"closed run {left.run_id[:8]}" in done.stdout
    assert f"completed the registration of tiny-fixer version {left.version}" in done.stdout
    assert [v.version for v in client.search_model_versions("name = 'tiny-fixer'")] == [left.version]
    assert client.get_model_version_by_alias("tiny-fixer", "challenger").version == left.version
    assert client.get_run(left.run_id).info.status == "FINISHED"
    state = json.loads((out / "checkpoint-4" / "trainer_state.json").read_text())
    assert state["global_step"] == 4 and [h["step"] for h in state["log_history"] if "loss" in h] == [1, 2, 3, 4]
    run = client.get_run(left.run_id)
    assert [(i.dataset.name, i.dataset.source_type) for i in run.inputs.dataset_inputs] == [
        ("sft_train@v0+sft_eval@v0", "local")
    ]
    model = mlflow.models.get_model_info(f"models:/tiny-fixer/{left.version}")
    assert [c["name"] for c in model.signature.inputs.to_dict()] == ["sql", "schema", "error"]
    assert [c["name"] for c in model.signature.outputs.to_dict()] == [
        "fixed_sql", "verified", "source", "diff", "last_error", "confidence", "reason",
    ]  # fmt: skip


def test_lora_trains_adapters_only_then_saves_merged_or_the_adapter(tiny_model_dir, tmp_path):
    import torch
    from sqlfix.training.recipe import RecipeError
    from sqlfix.training.run import run_training
    from transformers import AutoModelForCausalLM

    data = tmp_path / "data"
    _dataset(data, n=8)
    lora = {"enabled": True, "r": 4, "alpha": 8, "dropout": 0.0, "target_modules": ["q_proj", "v_proj"]}
    cfg = {"dataset_dir": str(data), "model": str(tiny_model_dir), "max_length": 1024, "batch_size": 2, "max_steps": 2,
           "save_steps": 1, "p": 0.5, "learning_rate": 5e-2, "lora": lora}  # fmt: skip
    merged = run_training({**cfg, "output_dir": str(tmp_path / "merged")})
    before = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    after = AutoModelForCausalLM.from_pretrained(merged["final"])
    layer_before, layer_after = before.model.layers[0], after.model.layers[0]
    assert not torch.equal(layer_before.self_attn.q_proj.weight, layer_after.self_attn.q_proj.weight)
    assert torch.equal(layer_before.self_attn.k_proj.weight, layer_after.self_attn.k_proj.weight)  # not a target
    assert torch.equal(layer_before.mlp.up_proj.weight, layer_after.mlp.up_proj.weight)
    assert not (tmp_path / "merged" / "final" / "adapter_config.json").exists()

    adapter = run_training({**cfg, "output_dir": str(tmp_path / "adapter"), "lora": {**lora, "merge": False}})
    saved = json.loads((tmp_path / "adapter" / "final" / "adapter_config.json").read_text())
    assert (saved["r"], saved["lora_alpha"], sorted(saved["target_modules"])) == (4, 8, ["q_proj", "v_proj"])
    with_adapter = AutoModelForCausalLM.from_pretrained(adapter["final"])  # the base folder + the adapter (peft)
    ids = torch.tensor([[5, 6, 7, 8]])
    with torch.no_grad():  # the same seed, the same steps: the adapter reproduces the merged model
        assert torch.allclose(with_adapter(ids).logits, after(ids).logits, atol=1e-4)
    with pytest.raises(RecipeError, match="lora needs r > 0"):
        run_training({**cfg, "output_dir": str(tmp_path / "bad"), "lora": {**lora, "r": 0}})
