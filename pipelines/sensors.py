"""The drop-folder sensor: a school's file lands in raw/, only what it affects is rebuilt.

Files are compared by content (SHA-256), not by time: touching or copying a file triggers
nothing; a file modified less than `CDS_SETTLE_SECONDS` ago (default 2) is still being
written and is left for a later tick. The sensor looks every `CDS_SENSOR_SECONDS` (default
5, each look of the daemon); a look stats each file of raw/, milliseconds for thousands. The
sensor remembers each file's size, mtime and hash (`sensor_memory`: a file in the warehouse
folder, named by the cursor), so only files whose size or mtime moved are hashed again.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from pipelines.ingest.runner import file_sha256, list_source_files
from pipelines.ingest.sources import SOURCES
from pipelines.partitions import PARTITIONED_SOURCES, file_partition, full_range_tags
from pipelines.resources import CdsPaths
from pipelines.sensor_memory import load_seen, store_seen
from pipelines.settings import SHIPPED_REFERENCE, Settings

# Dagster's daemon looks at its sensors every 5 s at most (MIN_INTERVAL_LOOP_TIME). A
# sensor's minimum interval of exactly 5 (or 10) made a look a few milliseconds early skip,
# and ticks came 10 (or 15) s apart: the interval given to Dagster is one second under
# `CDS_SENSOR_SECONDS`.
TICK_SECONDS = 5
# A file modified this recently is taken to be still being copied: a copy into a local
# folder or a share this machine serves moves the mtime with every write, or lands by
# rename. On a network file system whose clocks or cached attributes lag (NFS, another
# server's share), set CDS_SETTLE_SECONDS higher (docs/deploy.md says 15).
SETTLE_SECONDS = 2

# More new files than this in one periodic source: one full run, without reading headers.
MAX_HEADERS_READ = 20


# The cursor's key for the reference data's fingerprint (no raw/ path starts with it).
REFERENCE_KEY = "@reference"


@dataclass
class Scan:
    """What one look at raw/ found."""

    changed: dict[str, list[str]] = field(default_factory=dict)  # source → new contents (rel)
    pending: list[str] = field(default_factory=list)  # still being written
    seen: dict[str, list] = field(default_factory=dict)  # rel → [size, mtime_ns, sha256]
    reference_changed: bool = False  # first look, or a file of reference/ changed


def reference_fingerprint(files: list[Path]) -> str:
    """One hash of the reference files in force (the shipped ones or `--reference`'s)."""
    h = hashlib.sha256()
    for path in files:
        h.update(path.name.encode())
        h.update(file_sha256(path).encode() if path.is_file() else b"-")
    return h.hexdigest()


def scan_reference(scan: Scan, files: list[Path]) -> Scan:
    """Mark the scan when the reference data differs from what the last run was built on:
    on the first look (nothing built yet) too, so the reference group is built first."""
    fingerprint = reference_fingerprint(files)
    scan.reference_changed = scan.seen.get(REFERENCE_KEY) != [fingerprint]
    scan.seen[REFERENCE_KEY] = [fingerprint]
    return scan


def scan_raw(raw_dir: Path, seen: dict[str, list], now: float, settle_seconds: float) -> Scan:
    """Compare raw/ with what the previous tick saw. A file is *changed* when its content is
    one the source has not seen before (new file, or edited); renames, copies and touches are
    not changes."""
    scan = Scan(seen={k: v for k, v in seen.items() if k != REFERENCE_KEY})
    if REFERENCE_KEY in seen:
        scan.seen[REFERENCE_KEY] = seen[REFERENCE_KEY]
    for source in SOURCES:
        known = {v[2] for rel, v in seen.items() if rel.startswith(f"{source}/")}
        for path in list_source_files(raw_dir, source):
            rel = path.relative_to(raw_dir).as_posix()
            stat = path.lstat()  # a link is never followed
            if now - stat.st_mtime < settle_seconds:
                scan.pending.append(rel)
                continue
            before = seen.get(rel)
            if before and before[0] == stat.st_size and before[1] == stat.st_mtime_ns:
                continue
            sha = file_sha256(path)
            scan.seen[rel] = [stat.st_size, stat.st_mtime_ns, sha]
            if sha not in known:
                scan.changed.setdefault(source, []).append(rel)
                known.add(sha)
    return scan


def _downstream(context: dg.SensorEvaluationContext, sources: set[str]) -> list[dg.AssetKey]:
    selection = dg.AssetSelection.assets(*[["landing", s] for s in sorted(sources)]).downstream()
    return sorted(selection.resolve(context.repository_def.asset_graph), key=str)


def plan_runs(
    context: dg.SensorEvaluationContext,
    scan: Scan,
    raw_dir: Path,
    periods: dg.StaticPartitionsDefinition,
    partition_of,
) -> list[dg.RunRequest]:
    """One run per touched period when only periodic files changed, each limited to what
    those sources feed; otherwise one run over every period of what changed. When the
    reference data changed (or nothing was built yet), one run of everything: every asset
    reads it."""
    digest = hashlib.sha256(
        json.dumps({s: sorted(r) for s, r in scan.changed.items()}).encode()
        + json.dumps(scan.seen.get(REFERENCE_KEY)).encode()
    ).hexdigest()[:16]
    files = {s: len(r) for s, r in scan.changed.items()}
    if scan.reference_changed:
        return [
            dg.RunRequest(
                run_key=f"reference-{digest}",
                asset_selection=sorted(
                    dg.AssetSelection.all().resolve(context.repository_def.asset_graph), key=str
                ),
                tags={
                    **full_range_tags(periods),
                    "cds/trigger": "reference",
                    "cds/files": json.dumps(files),
                },
            )
        ]
    whole: set[str] = {s for s in scan.changed if s not in PARTITIONED_SOURCES}
    by_key: dict[str, set[str]] = {}
    for source in PARTITIONED_SOURCES:
        rels = scan.changed.get(source, [])
        if len(rels) > MAX_HEADERS_READ:
            whole.add(source)
            continue
        for rel in rels:
            key = partition_of(raw_dir / rel, source)
            if key is None or key not in periods.get_partition_keys():
                whole.add(source)
            else:
                by_key.setdefault(key, set()).add(source)
    if whole:
        selected = _downstream(context, whole | {s for v in by_key.values() for s in v})
        partitioned = any(
            context.repository_def.asset_graph.get(k).partitions_def is not None for k in selected
        )
        return [
            dg.RunRequest(
                run_key=f"raw-{digest}",
                asset_selection=selected,
                tags={
                    **(full_range_tags(periods) if partitioned else {}),
                    "cds/trigger": "raw_files",
                    "cds/files": json.dumps(files),
                },
            )
        ]
    return [
        dg.RunRequest(
            run_key=f"raw-{digest}-{key}",
            partition_key=key,
            asset_selection=_downstream(context, sources),
            tags={"cds/trigger": "raw_files", "cds/files": json.dumps(files)},
        )
        for key, sources in sorted(by_key.items())
    ]


def reference_files(settings: Settings) -> list[Path]:
    """The reference files in force: each shipped name, from `--reference` where it has one."""
    names = sorted(p.name for p in SHIPPED_REFERENCE.iterdir() if p.is_file())
    return [settings.reference_file(name) for name in names]


def raw_files_sensor(
    periods: dg.StaticPartitionsDefinition, default_status: dg.DefaultSensorStatus
) -> dg.SensorDefinition:
    @dg.sensor(
        name="raw_files",
        description=(
            "Theo dõi raw/ và reference/: tệp mới hoặc đã sửa (so theo nội dung) khởi động một "
            "lần chạy cho nguồn của nó và mọi thứ phía sau, chỉ kỳ của tệp nếu có. Lần đầu, hoặc "
            "khi dữ liệu tham chiếu đổi, chạy toàn bộ. Tệp đang được chép chờ lượt sau."
        ),
        minimum_interval_seconds=max(
            1, int(os.environ.get("CDS_SENSOR_SECONDS", str(TICK_SECONDS))) - 1
        ),
        target=dg.AssetSelection.all(),
        default_status=default_status,
    )
    def _sensor(context: dg.SensorEvaluationContext, paths: CdsPaths):
        settings = paths.settings
        seen = load_seen(settings.warehouse_dir, context.cursor, context.log.warning)
        settle = float(os.environ.get("CDS_SETTLE_SECONDS", str(SETTLE_SECONDS)))
        scan = scan_raw(settings.raw_dir, seen, time.time(), settle)
        scan = scan_reference(scan, reference_files(settings))
        cursor = store_seen(settings.warehouse_dir, scan.seen, context.cursor, context.log.warning)
        if not scan.changed and not scan.reference_changed:
            waiting = f"; {len(scan.pending)} tệp đang được ghi" if scan.pending else ""
            return dg.SensorResult(
                skip_reason=f"Không có tệp mới hoặc thay đổi trong raw/{waiting}", cursor=cursor
            )
        from pipelines.reference.code_lists import load_code_lists

        codes = load_code_lists(settings.reference_file("code_lists.csv"))
        runs = plan_runs(
            context,
            scan,
            settings.raw_dir,
            periods,
            lambda path, source: file_partition(path, source, codes),
        )
        if scan.reference_changed:
            context.log.info(
                "Dữ liệu tham chiếu mới hoặc đã đổi (hoặc chưa dựng lần nào): chạy toàn bộ"
            )
        for source, rels in scan.changed.items():
            context.log.info(f"{source}: {len(rels)} tệp mới hoặc thay đổi, vd {rels[0]}")
        return dg.SensorResult(run_requests=runs, cursor=cursor)

    return _sensor
