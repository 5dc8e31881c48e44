"""Where the figures were measured: they mean little without the machine beside them."""

import os
import platform
import subprocess
from dataclasses import dataclass

import psutil
from sqlalchemy.engine import make_url

from core.devstack import installed_binary


@dataclass(frozen=True)
class Machine:
    cpus: int
    cpu_model: str
    ram_gib: float
    python: str
    temporal: str
    system: str
    database: str
    busy_before: float  # % of all CPUs busy with other work just before the benchmark

    def lines(self) -> list[str]:
        return [
            f"{self.cpus} CPUs ({self.cpu_model}), {self.ram_gib:.0f} GiB RAM, {self.system}",
            f"Python {self.python}; {self.temporal}",
            f"database: {self.database}",
            f"other work on the machine just before the run: {self.busy_before:.0f} % CPU",
        ]


def describe(database_url: str | None, busy_sample: float = 2.0) -> Machine:
    return Machine(
        cpus=os.cpu_count() or 0,
        cpu_model=_cpu_model(),
        ram_gib=psutil.virtual_memory().total / 1024**3,
        python=platform.python_version(),
        temporal=_temporal_version(),
        system=f"{platform.system()} {platform.release()}",
        database=_database(database_url),
        busy_before=psutil.cpu_percent(interval=busy_sample),
    )


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _temporal_version() -> str:
    result = subprocess.run(  # noqa: S603  (the pinned binary beside the interpreter)
        [installed_binary("temporal"), "--version"], capture_output=True, text=True, check=False
    )
    return result.stdout.strip() or "temporal CLI (version unknown)"


def _database(url: str | None) -> str:
    if not url or make_url(url).get_backend_name() == "sqlite":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version} (WAL), one file per stack"
    return "PostgreSQL at DATABASE_URL, one database per stack"
