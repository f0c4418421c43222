"""The one SparkSession factory of sqlfix.

``local`` builds a quiet ``local[*]`` session (UI off, small shuffles, UTC, Spark 4's JSON
analysis-error logger silenced); ``cluster`` returns the active session of the cluster
(Databricks, spark-submit) and never builds one.
"""

from __future__ import annotations

import atexit
import os
import queue
import re
import shutil
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pyspark.sql import SparkSession

from sqlfix.errors import SqlfixError

# Settings every profile needs for the lake to read what it wrote.
_COMMON_CONF = {
    "spark.sql.session.timeZone": "UTC",
    # Delta readers (delta-rs, DuckDB) expect INT64 microsecond timestamps, not Spark's INT96 default.
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    # SQL text is data: `${env:SECRET}` / `${system:...}` in a query must stay text, never be filled in.
    "spark.sql.variable.substitute": "false",
}


def get_spark(cfg: dict[str, Any] | None = None, app_name: str = "sqlfix") -> SparkSession:
    """Return the SparkSession for a config's ``spark`` section.

    Args:
        cfg: a loaded config (``sqlfix.config.load_config``); ``None`` loads the local profile's (the
            defaults live in ``conf/*.yaml`` only).
        app_name: Spark application name.

    Raises:
        RuntimeError: the ``cluster`` profile is asked for and no session is active.
    """
    if cfg is None:
        from sqlfix.config import load_config

        cfg = load_config()
    spark_cfg = cfg["spark"]
    profile = spark_cfg["profile"]
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
    return _local_session(spark_cfg, cfg.get("conf_dir"), app_name)


def _local_session(spark_cfg: dict[str, Any], conf_dir: str | None, app_name: str) -> SparkSession:
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # workers use this interpreter (the venv's)
    builder = (
        SparkSession.builder.master(spark_cfg["master"])
        .appName(app_name)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(spark_cfg["shuffle_partitions"]))
        .config("spark.default.parallelism", str(spark_cfg["shuffle_partitions"]))
        .config("spark.driver.memory", spark_cfg["driver_memory"])
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
    """A warehouse folder of this process only (its name carries the process id), removed at exit:
    sandbox catalogs never meet old files. Those of killed processes, which no exit removed, are swept."""
    sweep_scratch_warehouses()
    path = tempfile.mkdtemp(prefix=f"sqlfix-warehouse-{os.getpid()}-")
    atexit.register(shutil.rmtree, path, True)
    return path


_WAREHOUSE = re.compile(r"^sqlfix-warehouse-(\d+)-")


def sweep_scratch_warehouses(folder: str | None = None) -> list[str]:
    """Remove the scratch warehouses in the temporary folder whose process is gone (killed before its exit
    handler ran), and unnamed ones (an older release's) a day old. Returns what it removed."""
    root = Path(folder or tempfile.gettempdir())
    removed = []
    for path in root.glob("sqlfix-warehouse-*"):
        match = _WAREHOUSE.match(path.name)
        try:
            stale = not _alive(int(match.group(1))) if match else path.stat().st_mtime < time.time() - 86400
        except OSError:
            continue
        if stale and path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
            removed.append(str(path))
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


class DeadlineExceeded(SqlfixError, TimeoutError):
    """A statement ran past its deadline; its Spark jobs were cancelled."""


class Bounded:
    """Calls into Spark under a wall-clock deadline, on reusable daemon worker threads.

    Each call runs under a Spark job group of its own; past its deadline the group is cancelled
    (``cancelJobGroup`` with ``interruptOnCancel``: the running tasks are interrupted) and the caller gets
    ``DeadlineExceeded`` at once. Work that runs on the driver and cannot be interrupted (an analyzer or
    optimizer rule folding a catastrophic regular expression) is left to its worker, which is retired and
    replaced; the workers are daemon threads, so such a call never keeps the process from exiting.

    Example (not run: needs Spark):
        bounded = Bounded(spark, workers=4)
        rows = bounded.run(lambda: session.sql(query).collect(), 30, "the query")
    """

    def __init__(self, spark: SparkSession, workers: int = 1, name: str = "sqlfix-bounded"):
        self.spark = spark
        self.name = name
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._workers = 0
        self._wanted = max(1, workers)
        self._idle = 0

    def run(self, fn: Callable[[], Any], seconds: float, what: str = "the statement", group: str | None = None) -> Any:
        """``fn()`` on a worker; its value, its exception, or ``DeadlineExceeded`` after ``seconds``. ``group``
        names the job group (to read its jobs' metrics afterwards); ``fn`` must not set another."""
        group = group or f"{self.name}-{uuid.uuid4().hex}"
        task = _Task(fn, group, what)
        self._ensure_worker()
        self._queue.put(task)
        if not task.done.wait(seconds):
            task.abandoned = True
            try:
                self.spark.sparkContext.cancelJobGroup(group)
            except Exception:  # noqa: BLE001 - a stopped context: nothing left to cancel
                pass
            task.done.wait(min(2.0, max(0.1, seconds / 10)))
            with self._lock:
                if task.started and not task.done.is_set():  # stuck on the driver: replaced, retires on return
                    task.replaced = True
                    self._workers -= 1
            raise DeadlineExceeded(f"{what} ran past its {seconds:g} s deadline and was cancelled")
        if task.error is not None:
            raise task.error
        return task.value

    def close(self) -> None:
        """Let the idle workers end (a worker busy with an abandoned call ends when it returns)."""
        with self._lock:
            workers, self._wanted = self._workers, 0
        for _ in range(workers):
            self._queue.put(None)

    def _ensure_worker(self) -> None:
        with self._lock:
            if self._idle > 0 or self._workers >= self._wanted:
                return
            self._workers += 1
        threading.Thread(target=self._work, name=f"{self.name}-worker", daemon=True).start()

    def _work(self) -> None:
        context = self.spark.sparkContext
        while True:
            with self._lock:
                self._idle += 1
            task = self._queue.get()
            with self._lock:
                self._idle -= 1
                if task is None:  # closed
                    self._workers -= 1
                    return
                if task.abandoned:  # its caller gave up before it started
                    task.done.set()
                    continue
                task.started = True
            try:
                context.setJobGroup(task.group, task.what, interruptOnCancel=True)
                task.value = task.fn()
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                task.error = exc
            finally:
                try:
                    context.setLocalProperty("spark.jobGroup.id", None)
                except Exception:  # noqa: BLE001
                    pass
                with self._lock:
                    task.done.set()
                    retire = task.replaced and self._workers >= self._wanted
                    if task.replaced and not retire:  # replaced, but the pool is short again: stay
                        self._workers += 1
            if retire:
                return


class _Task:
    def __init__(self, fn, group: str, what: str):
        self.fn, self.group, self.what = fn, group, what
        self.value: Any = None
        self.error: BaseException | None = None
        self.done = threading.Event()
        self.abandoned = False  # its caller stopped waiting
        self.started = False
        self.replaced = False  # its worker was stuck and has been replaced
