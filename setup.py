"""sqlfix: a Spark-native job suite that teaches code LLMs to fix (and speed up) SQL.

Extras: ``data`` (Spark, delta-rs, sqlglot: every data job), ``delta`` (native delta-spark),
``train`` (torch, transformers, DeepSpeed, MLflow), ``dev`` (tests), ``all`` (everything).
CPU machines pin torch with ``-c requirements/cpu-constraints.txt`` (see the Makefile).
"""

import ast
from glob import glob
from pathlib import Path

from setuptools import find_packages, setup

DATA = [
    "pyspark>=4.0,<5",
    "deltalake>=1.0,<2",
    "pyarrow>=15",
    "pandas>=2.0,<3",  # PySpark 4 does not yet support pandas 3
    "sqlglot[c]>=26",
    "jinja2>=3.1",  # rendering dbt models (sandboxed) when a repository is imported
    "matplotlib>=3.7",
    "cramjam>=2.8",  # Spark event logs: zstd, lz4 and snappy without native libraries
]
TRAIN = ["torch>=2.4", "transformers>=5.0", "accelerate>=0.34", "deepspeed>=0.15", "mlflow>=2.16", "tokenizers>=0.20", "gguf>=0.10", "peft>=0.13"]
DEV = ["pytest>=8", "pytest-xdist>=3", "jsonschema>=4", "ruff>=0.6"]


def _jobs() -> list[str]:
    """The jobs, as ``sqlfix.cli.JOBS`` declares them (read from the file: nothing is installed yet)."""
    tree = ast.parse((Path(__file__).parent / "lib" / "sqlfix" / "cli.py").read_text(encoding="utf-8"))
    value = next(n.value for n in tree.body if isinstance(n, ast.AnnAssign) and getattr(n.target, "id", "") == "JOBS")
    return list(ast.literal_eval(value))


# One console entry point per job, plus the umbrella `sqlfix` command.
JOBS = _jobs()

setup(
    name="sqlfix",
    version="0.1.0",
    description=__doc__.splitlines()[0],
    package_dir={"": "lib"},
    packages=find_packages("lib"),
    package_data={"sqlfix": ["*.json"]},
    python_requires=">=3.10",
    install_requires=["pyyaml>=6", "rich>=13", "tqdm>=4.66"],
    extras_require={
        "data": DATA,
        "delta": DATA + ["delta-spark>=4.0"],
        "train": TRAIN,
        "dev": DEV,
        "all": DATA + TRAIN + DEV,
    },
    entry_points={
        "console_scripts": ["sqlfix=sqlfix.cli:main_entry"]
        + [f"sqlfix-{job}=sqlfix.cli:{job.replace('-', '_')}_main" for job in JOBS],
    },
    data_files=[
        ("share/sqlfix/conf", glob("conf/*.yaml") + glob("conf/*.properties")),
        ("share/sqlfix/conf/train", glob("conf/train/*.yaml")),
        ("share/sqlfix/conf/experiment", glob("conf/experiment/*.yaml")),
        ("share/sqlfix/conf/deepspeed", glob("conf/deepspeed/*.json")),
    ],
)
