"""`seddel bench --http` reads the database's CPU from /proc beside the server's: every
PostgreSQL process counts, nothing else does, and without any there is no figure."""

from __future__ import annotations

import os
from pathlib import Path

from app.bench.throughput import database_cpu_seconds


def _process(proc: Path, pid: int, name: str, ticks: tuple[int, int]) -> None:
    folder = proc / str(pid)
    folder.mkdir()
    (folder / "comm").write_text(name + "\n")
    # pid (comm) state ppid … utime stime: fields 14 and 15 of /proc/<pid>/stat.
    fields = ["S", *["0"] * 10, str(ticks[0]), str(ticks[1]), *["0"] * 5]
    (folder / "stat").write_text(f"{pid} ({name}) {' '.join(fields)}\n")


def test_every_postgres_process_counts_and_nothing_else(tmp_path: Path) -> None:
    tick = os.sysconf("SC_CLK_TCK")
    _process(tmp_path, 10, "postgres", (3 * tick, tick))
    _process(tmp_path, 11, "postgres: walwriter", (tick, 0))
    _process(tmp_path, 12, "python", (100 * tick, 100 * tick))
    (tmp_path / "self").mkdir()  # not a process number

    assert database_cpu_seconds(tmp_path) == 5.0


def test_no_postgres_process_gives_no_figure(tmp_path: Path) -> None:
    _process(tmp_path, 12, "python", (1, 1))

    assert database_cpu_seconds(tmp_path) is None
