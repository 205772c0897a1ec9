"""The sizes measured, each generated once by `cds generate` and cached under .bench/."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from pipelines.settings import PROJECT_ROOT

BENCH_DIR = PROJECT_ROOT / ".bench"
SEED = 20241


@dataclass(frozen=True)
class Scale:
    name: str
    generator_args: tuple[str, ...]
    description: str
    # how many of these make the whole nation (for the linear extrapolation), if any
    national_fraction: float | None = None

    @property
    def raw_dir(self) -> Path:
        return BENCH_DIR / self.name / "raw"

    def command(self) -> list[str]:
        return ["cds", "generate", *self.generator_args, "--seed", str(SEED), "--faults"]


# The national scale has 34 provinces; `--provinces N` generates the first N of them.
SCALES = {
    "district": Scale("district", ("--scale", "district"), "one district (~54 schools)"),
    "province": Scale("province", ("--scale", "province"), "one province (~1,000 schools)"),
    "national-1": Scale(
        "national-1",
        ("--scale", "national", "--provinces", "1"),
        "1 of the nation's 34 provinces (~1,580 schools)",
        national_fraction=1 / 34,
    ),
    "national-2": Scale(
        "national-2",
        ("--scale", "national", "--provinces", "2"),
        "2 of the nation's 34 provinces (~3,160 schools)",
        national_fraction=2 / 34,
    ),
}


def ensure_raw(scale: Scale) -> Path:
    """The scale's raw/ folder, generated unless a complete copy for the same command exists."""
    marker = scale.raw_dir.parent / "generated.json"
    wanted = {"command": scale.command()}
    if marker.exists() and json.loads(marker.read_text()) == wanted:
        return scale.raw_dir
    shutil.rmtree(scale.raw_dir.parent, ignore_errors=True)
    scale.raw_dir.parent.mkdir(parents=True)
    cmd = [sys.executable, "-m", "pipelines.cli", *scale.command()[1:], "--out", str(scale.raw_dir)]
    print(
        f"· generating {scale.name}: {' '.join(scale.command())} --out {scale.raw_dir}", flush=True
    )
    subprocess.run(cmd, check=True, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL)
    marker.write_text(json.dumps(wanted))
    return scale.raw_dir


def raw_files(raw_dir: Path) -> list[Path]:
    """The submitted files the ingest reads (not the generator's manifest)."""
    from pipelines.ingest.runner import list_source_files
    from pipelines.ingest.sources import SOURCES

    return [p for name in SOURCES for p in list_source_files(raw_dir, name)]
