"""A throwaway PostgreSQL server for a test: Debian's `postgresql` package (`make test`
installs it when missing), on 127.0.0.1 and a free port, stopped and removed afterwards.

`initdb` refuses to run as root (CI runs as root): then every server command runs as the
`postgres` user through `runuser`, in a folder that user owns. Messages are in English
(`lc_messages=C`): DuckLake retries a conflicting commit by matching PostgreSQL's English
error text.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SERVER_USER = "postgres"


def bindir() -> Path | None:
    """The newest installed server's bin folder (Debian keeps initdb off PATH)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    return found[-1].parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_server_user(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", SERVER_USER, "--", *cmd] if os.geteuid() == 0 else cmd


def _run(cmd: list[str]) -> None:
    out = subprocess.run(_as_server_user(cmd), capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {out.stdout[-2000:]} {out.stderr[-2000:]}")


@contextmanager
def throwaway_postgres(dbname: str = "cds") -> Iterator[str]:
    """Start a server, create `dbname`, yield its libpq connection string, then stop it."""
    bin_ = bindir()
    if bin_ is None:
        raise RuntimeError(
            "PostgreSQL is not installed: `make test` installs Debian's postgresql "
            "(or: apt-get install postgresql)"
        )
    folder = Path(tempfile.mkdtemp(prefix="cds-pg-"))  # under /tmp: the server user reaches it
    data = folder / "data"
    if os.geteuid() == 0:
        shutil.chown(folder, SERVER_USER, SERVER_USER)
    port = _free_port()
    try:
        _run([str(bin_ / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
              "--encoding=UTF8", "--locale=C", "--no-sync"])  # fmt: skip
        options = (
            f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c lc_messages=C "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        _run([str(bin_ / "pg_ctl"), "-D", str(data), "-o", options, "-l",
              str(folder / "server.log"), "-w", "-t", "60", "start"])  # fmt: skip
        try:
            _run([str(bin_ / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
                  dbname])  # fmt: skip
            yield f"dbname={dbname} host=127.0.0.1 port={port} user=postgres"
        finally:
            _run([str(bin_ / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"])
    finally:
        shutil.rmtree(folder, ignore_errors=True)
