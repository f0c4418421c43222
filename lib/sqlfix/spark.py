"""The one SparkSession factory of sqlfix.

``local`` builds a quiet ``local[*]`` session (UI off, small shuffles, UTC, Spark 4's JSON
analysis-error logger silenced); ``cluster`` returns the active session of the cluster
(Databricks, spark-submit) and never builds one.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from pyspark.sql import SparkSession

# Settings every profile needs for the lake to read what it wrote.
_COMMON_CONF = {
    "spark.sql.session.timeZone": "UTC",
    # Delta readers (delta-rs, DuckDB) expect INT64 microsecond timestamps, not Spark's INT96 default.
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
}


def get_spark(cfg: dict[str, Any] | None = None, app_name: str = "sqlfix") -> SparkSession:
    """Return the SparkSession for a config's ``spark`` section.

    Args:
        cfg: a loaded config (``sqlfix.config.load_config``); ``None`` means the local defaults.
        app_name: Spark application name.

    Raises:
        RuntimeError: the ``cluster`` profile is asked for and no session is active.
    """
    spark_cfg = (cfg or {}).get("spark", {})
    profile = spark_cfg.get("profile", "local")
    if profile == "cluster":
        session = SparkSession.getActiveSession()
        if session is None:
            raise RuntimeError("spark.profile=cluster but no active SparkSession (run as a cluster job)")
        for key, value in _COMMON_CONF.items():
            session.conf.set(key, value)
        quiet_query_context_loggers()
        return session
    if profile != "local":
        raise ValueError(f"spark.profile must be 'local' or 'cluster', not {profile!r}")
    return _local_session(spark_cfg, (cfg or {}).get("conf_dir"), app_name)


def _local_session(spark_cfg: dict[str, Any], conf_dir: str | None, app_name: str) -> SparkSession:
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # workers use this interpreter (the venv's)
    builder = (
        SparkSession.builder.master(spark_cfg.get("master", "local[*]"))
        .appName(app_name)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(spark_cfg.get("shuffle_partitions", 4)))
        .config("spark.default.parallelism", str(spark_cfg.get("shuffle_partitions", 4)))
        .config("spark.driver.memory", spark_cfg.get("driver_memory", "4g"))
        .config("spark.sql.adaptive.enabled", "true")
        .config("spark.sql.warehouse.dir", spark_cfg.get("warehouse") or _scratch_warehouse())
    )
    log4j = Path(conf_dir or Path(__file__).resolve().parents[2] / "conf") / "log4j2.properties"
    if log4j.is_file():
        builder = builder.config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile=file:{log4j}")
    for key, value in {**_COMMON_CONF, **(spark_cfg.get("extra") or {})}.items():
        builder = builder.config(key, str(value))
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    quiet_query_context_loggers()
    return session


def sql_string(value: str) -> str:
    """``value`` as a Spark SQL string literal (for expressions written as SQL text: one ``F.expr`` is one
    Py4J call, where the same expression built from Column objects takes one per node).

    Example:
        >>> print(sql_string("it's a \\\\d"))
        'it\\'s a \\\\d'
    """
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def quiet_query_context_loggers() -> None:
    """Silence PySpark 4's Python-side loggers that print every analysis error as a JSON line."""
    try:
        from pyspark.logger import PySparkLogger
    except ImportError:  # pyspark < 4
        return
    for name in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
        # Created through PySparkLogger so that later calls with extra keyword arguments still work.
        PySparkLogger.getLogger(name).disabled = True


def _scratch_warehouse() -> str:
    """A warehouse folder of this process only, removed at exit: sandbox catalogs never meet old files."""
    path = tempfile.mkdtemp(prefix="sqlfix-warehouse-")
    atexit.register(shutil.rmtree, path, True)
    return path
