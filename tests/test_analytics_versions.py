"""What the README tells analysts about seeing a new publication (issue 15): a new connection
sees the new `analytics.duckdb` only once the process holds no connection to the old one.
DuckDB shares one database instance per path within a process, so a second connection opened
while the first is still open reads the old file. Both halves are asserted, so the README's
sentence fails here the day DuckDB's behaviour changes."""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines.publish import publish_analytics
from pipelines.reference.labels import load_labels
from pipelines.settings import SHIPPED_REFERENCE


def _publish(target: Path, n: int) -> None:
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute("create table marts.dim_school as select ? as n_schools", [n])
    publish_analytics(con, target, load_labels(SHIPPED_REFERENCE / "labels_vi.csv"))
    con.close()


def _n(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("select n_schools from marts.dim_school").fetchall()[0][0]


def test_a_new_publication_is_seen_once_the_process_has_let_go_of_the_old(tmp_path: Path) -> None:
    target = tmp_path / "analytics.duckdb"
    _publish(target, 1)
    held = duckdb.connect(str(target), read_only=True)
    _publish(target, 2)  # renamed over the file `held` keeps open
    second = duckdb.connect(str(target), read_only=True)
    assert (_n(held), _n(second)) == (1, 1)  # same process, old instance: the old figures
    held.close()
    second.close()
    fresh = duckdb.connect(str(target), read_only=True)
    assert _n(fresh) == 2
    fresh.close()


def test_the_duckdb_command_line_installed_with_the_project_opens_it(tmp_path: Path) -> None:
    """Issue 15: the README's first example runs the `duckdb` command line; `make run`
    installs it (duckdb-cli from PyPI, beside this Python), and the published file is in a
    storage format it reads. Before, the command was not installed, and DuckDB 1.5's
    command line refused a file written by the pipeline's DuckDB 2.0."""
    import subprocess
    import sys

    target = tmp_path / "analytics.duckdb"
    _publish(target, 7)
    cli = Path(sys.executable).with_name("duckdb")
    out = subprocess.run(
        [str(cli), "-readonly", "-csv", str(target), "select n_schools from marts.dim_school"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["n_schools", "7"]
