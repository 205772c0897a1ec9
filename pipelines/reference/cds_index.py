"""Load and validate a CĐS index definition (format: shared/reference/cds-index-format.md).

Nothing about a particular index is written here: the scoring in dbt reads the tables
that `CdsIndex.to_arrow_tables()` produces. A broken file is refused whole with a message
(in Vietnamese, for the data officer) that names the offending item.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import yaml

from pipelines.reference.vocab import SCHOOL_LEVELS

RULES = ("mandatory", "binary", "ratio", "bands")
PROVENANCE = ("confirmed", "assumed")
# The figures the warehouse computes from the exports and reports to cross-check a school's
# claim (contract §6, "Cross-checks"): fractions 0–1, except pupils per computer.
CROSS_CHECK_MEASURES = (
    "staff_digital_signature",
    "teachers_training_account",
    "students_digital_transcript",
    "classrooms_internet",
    "classrooms_projector",
    "students_per_computer",
)


class CdsIndexError(ValueError):
    """The index file breaks the format; the message names the item."""


@dataclass(frozen=True)
class Band:
    op: str  # "upto" (measure <= bound), "from" (measure >= bound) or "any" (catch-all)
    bound: float | None
    points: float


@dataclass(frozen=True)
class CrossCheck:
    measure: str  # one of CROSS_CHECK_MEASURES
    tolerance: float  # in the measure's unit: 0.10 = ten points of a fraction


@dataclass(frozen=True)
class Indicator:
    code: str
    group: str
    criterion: str | None
    rule: str
    max_points: float
    name: str
    provenance: str = "confirmed"
    note: str | None = None
    measure: str | None = None
    bands: tuple[Band, ...] = ()
    bands_by_level: dict[str, tuple[Band, ...]] = field(default_factory=dict)
    cross_check: CrossCheck | None = None


@dataclass(frozen=True)
class Group:
    code: str
    name: str
    max_points: float


@dataclass(frozen=True)
class CdsIndex:
    index_id: str
    title: str
    source: str
    levels_in_scope: tuple[str, ...]
    level2_from: float
    level3_above: float
    groups: tuple[Group, ...]
    criteria: dict[str, str]
    indicators: tuple[Indicator, ...]

    @property
    def indicator_codes(self) -> frozenset[str]:
        return frozenset(i.code for i in self.indicators)

    def to_arrow_tables(self) -> dict[str, pa.Table]:
        """The index as the relational tables dbt reads (schema `reference`)."""
        index = pa.Table.from_pylist(
            [
                {
                    "index_id": self.index_id,
                    "title": self.title,
                    "source": self.source,
                    "level2_from": self.level2_from,
                    "level3_above": self.level3_above,
                }
            ]
        )
        scope = pa.Table.from_pylist(
            [{"index_id": self.index_id, "level": lv} for lv in self.levels_in_scope],
            schema=_SCOPE_SCHEMA,
        )
        groups = pa.Table.from_pylist(
            [
                {
                    "index_id": self.index_id,
                    "group_code": g.code,
                    "group_name": g.name,
                    "max_points": g.max_points,
                }
                for g in self.groups
            ]
        )
        return {
            "cds_index": index,
            "cds_index_levels_in_scope": scope,
            "cds_index_groups": groups,
            "cds_index_indicators": pa.Table.from_pylist(
                self._indicator_rows(), schema=_INDICATOR_SCHEMA
            ),
            "cds_index_bands": pa.Table.from_pylist(self._band_rows(), schema=_BAND_SCHEMA),
        }

    def _indicator_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "index_id": self.index_id,
                "indicator_code": i.code,
                "group_code": i.group,
                "criterion_code": i.criterion,
                "criterion_name": self.criteria.get(i.criterion or ""),
                "indicator_name": i.name,
                "rule": i.rule,
                "max_points": i.max_points,
                "provenance": i.provenance,
                "note": i.note,
                "measure": i.measure,
                "cross_check_measure": i.cross_check.measure if i.cross_check else None,
                "cross_check_tolerance": i.cross_check.tolerance if i.cross_check else None,
                "sort_order": n,
            }
            for n, i in enumerate(self.indicators)
        ]

    def _band_rows(self) -> list[dict[str, Any]]:
        """Every band of every indicator: its default bands (level null), then by level."""
        return [
            {
                "index_id": self.index_id,
                "indicator_code": i.code,
                "level": level,
                "band_order": order,
                "op": b.op,
                "bound": b.bound,
                "points": b.points,
            }
            for i in self.indicators
            for level, bands in [(None, i.bands), *i.bands_by_level.items()]
            for order, b in enumerate(bands)
        ]


_SCOPE_SCHEMA = pa.schema([("index_id", pa.string()), ("level", pa.string())])
_INDICATOR_SCHEMA = pa.schema(
    [
        ("index_id", pa.string()),
        ("indicator_code", pa.string()),
        ("group_code", pa.string()),
        ("criterion_code", pa.string()),
        ("criterion_name", pa.string()),
        ("indicator_name", pa.string()),
        ("rule", pa.string()),
        ("max_points", pa.float64()),
        ("provenance", pa.string()),
        ("note", pa.string()),
        ("measure", pa.string()),
        ("cross_check_measure", pa.string()),
        ("cross_check_tolerance", pa.float64()),
        ("sort_order", pa.int32()),
    ]
)
_BAND_SCHEMA = pa.schema(
    [
        ("index_id", pa.string()),
        ("indicator_code", pa.string()),
        ("level", pa.string()),
        ("band_order", pa.int32()),
        ("op", pa.string()),
        ("bound", pa.float64()),
        ("points", pa.float64()),
    ]
)


def _number(value: Any, where: str, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CdsIndexError(f"{where}: '{what}' phải là một số (đang là {value!r})")
    return float(value)


def _parse_bands(raw: Any, where: str, max_points: float) -> tuple[Band, ...]:
    if not isinstance(raw, list) or not raw:
        raise CdsIndexError(f"{where}: danh sách mức (bands) trống hoặc sai định dạng")
    bands: list[Band] = []
    for n, b in enumerate(raw, start=1):
        if not isinstance(b, dict) or "points" not in b:
            raise CdsIndexError(f"{where}, mức thứ {n}: thiếu 'points'")
        unknown = set(b) - {"upto", "from", "points"}
        if unknown:
            raise CdsIndexError(f"{where}, mức thứ {n}: khoá không hợp lệ {sorted(unknown)}")
        points = _number(b["points"], f"{where}, mức thứ {n}", "points")
        if points < 0 or points > max_points:
            raise CdsIndexError(
                f"{where}, mức thứ {n}: điểm {points:g} nằm ngoài 0…{max_points:g} (max_points)"
            )
        if "upto" in b and "from" in b:
            raise CdsIndexError(f"{where}, mức thứ {n}: chỉ được có một trong 'upto' hoặc 'from'")
        if "upto" in b:
            bands.append(Band("upto", _number(b["upto"], where, "upto"), points))
        elif "from" in b:
            bands.append(Band("from", _number(b["from"], where, "from"), points))
        else:
            bands.append(Band("any", None, points))
    if bands[-1].op != "any":
        raise CdsIndexError(
            f"{where}: mức cuối cùng phải là mức mặc định (không có 'upto'/'from') "
            "để mọi giá trị đều được chấm điểm"
        )
    if any(b.op == "any" for b in bands[:-1]):
        raise CdsIndexError(f"{where}: mức mặc định (không có cận) chỉ được đứng cuối danh sách")
    return tuple(bands)


def parse_index(doc: Any, origin: str = "cds_index.yaml") -> CdsIndex:
    """Validate a parsed YAML document and build the index; raise CdsIndexError naming the item."""
    index_id = _check_document(doc, origin)
    scope = _parse_scope(doc["levels_in_scope"], origin)
    level2_from, level3_above = _parse_bounds(doc["level_bounds"], origin)
    groups = _parse_groups(doc["groups"] or [], origin)
    group_codes = {g.code for g in groups}
    criteria = _parse_criteria(doc.get("criteria") or [], origin, group_codes)
    indicators: list[Indicator] = []
    for raw in doc["indicators"] or []:
        indicators.append(_parse_indicator(raw, origin, group_codes, criteria, indicators))
    if not indicators:
        raise CdsIndexError(f"{origin}: không có chỉ số nào ('indicators')")
    _check_group_totals(groups, indicators, origin)
    return CdsIndex(
        index_id=index_id,
        title=str(doc.get("title", "")),
        source=str(doc.get("source", "")),
        levels_in_scope=tuple(scope),
        level2_from=level2_from,
        level3_above=level3_above,
        groups=tuple(groups),
        criteria=criteria,
        indicators=tuple(indicators),
    )


def _check_document(doc: Any, origin: str) -> str:
    """A mapping with every required key; returns its `index_id`."""
    if not isinstance(doc, dict):
        raise CdsIndexError(
            f"{origin}: tệp không phải là một bộ chỉ số (cần một bảng khoá–giá trị)"
        )
    for key in ("index_id", "levels_in_scope", "level_bounds", "groups", "indicators"):
        if key not in doc:
            raise CdsIndexError(f"{origin}: thiếu mục bắt buộc '{key}'")
    index_id = str(doc["index_id"]).strip()
    if not index_id:
        raise CdsIndexError(f"{origin}: 'index_id' trống")
    return index_id


def _parse_scope(scope: Any, origin: str) -> list[str]:
    if not isinstance(scope, list) or not scope:
        raise CdsIndexError(f"{origin}: 'levels_in_scope' phải là danh sách cấp học")
    for lv in scope:
        if lv not in SCHOOL_LEVELS:
            raise CdsIndexError(
                f"{origin}: cấp học '{lv}' trong 'levels_in_scope' không hợp lệ "
                f"(chỉ nhận {', '.join(SCHOOL_LEVELS)})"
            )
    return scope


def _parse_bounds(bounds: Any, origin: str) -> tuple[float, float]:
    """(level2_from, level3_above)."""
    if not isinstance(bounds, dict) or {"level2_from", "level3_above"} - set(bounds):
        raise CdsIndexError(f"{origin}: 'level_bounds' cần 'level2_from' và 'level3_above'")
    level2_from = _number(bounds["level2_from"], f"{origin}: level_bounds", "level2_from")
    level3_above = _number(bounds["level3_above"], f"{origin}: level_bounds", "level3_above")
    if level2_from > level3_above:
        raise CdsIndexError(f"{origin}: level_bounds: level2_from lớn hơn level3_above")
    return level2_from, level3_above


def _parse_groups(raw_groups: list, origin: str) -> list[Group]:
    groups: list[Group] = []
    for g in raw_groups:
        if not isinstance(g, dict) or "code" not in g:
            raise CdsIndexError(f"{origin}: nhóm tiêu chí thiếu 'code': {g!r}")
        code = str(g["code"])
        if any(x.code == code for x in groups):
            raise CdsIndexError(f"{origin}: mã nhóm '{code}' bị trùng")
        if "max_points" not in g:
            raise CdsIndexError(f"{origin}: nhóm '{code}' thiếu 'max_points'")
        groups.append(
            Group(
                code,
                str(g.get("name", "")),
                _number(g["max_points"], f"nhóm '{code}'", "max_points"),
            )
        )
    if not groups:
        raise CdsIndexError(f"{origin}: không có nhóm tiêu chí nào ('groups')")
    return groups


def _parse_criteria(raw_criteria: list, origin: str, group_codes: set[str]) -> dict[str, str]:
    """Criterion code → name."""
    criteria: dict[str, str] = {}
    for c in raw_criteria:
        if not isinstance(c, dict) or "code" not in c:
            raise CdsIndexError(f"{origin}: tiêu chí thiếu 'code': {c!r}")
        code = str(c["code"])
        if code in criteria:
            raise CdsIndexError(f"{origin}: mã tiêu chí '{code}' (criteria) bị trùng")
        if str(c.get("group")) not in group_codes:
            raise CdsIndexError(
                f"{origin}: tiêu chí '{code}' thuộc nhóm không tồn tại '{c.get('group')}'"
            )
        criteria[code] = str(c.get("name", ""))
    return criteria


def _parse_indicator(
    raw: Any,
    origin: str,
    group_codes: set[str],
    criteria: dict[str, str],
    before: list[Indicator],
) -> Indicator:
    """One entry of `indicators`, checked against the groups, the criteria and the
    indicators `before` it."""
    if not isinstance(raw, dict) or "code" not in raw:
        raise CdsIndexError(f"{origin}: chỉ số thiếu 'code': {raw!r}")
    code = str(raw["code"])
    where = f"{origin}: chỉ số '{code}'"
    if any(i.code == code for i in before):
        raise CdsIndexError(f"{where}: mã chỉ số bị trùng")
    group = str(raw.get("group"))
    if group not in group_codes:
        raise CdsIndexError(f"{where}: thuộc nhóm không tồn tại '{raw.get('group')}'")
    criterion = str(raw["criterion"]) if raw.get("criterion") is not None else None
    if criteria and criterion is not None and criterion not in criteria:
        raise CdsIndexError(f"{where}: tiêu chí '{criterion}' không có trong danh sách 'criteria'")
    rule = raw.get("rule")
    if rule not in RULES:
        raise CdsIndexError(
            f"{where}: quy tắc chấm '{rule}' không hợp lệ (chỉ nhận {', '.join(RULES)})"
        )
    provenance = raw.get("provenance", "confirmed")
    if provenance not in PROVENANCE:
        raise CdsIndexError(
            f"{where}: provenance '{provenance}' không hợp lệ (confirmed | assumed)"
        )
    max_points = _indicator_max_points(raw, rule, where)
    bands, by_level = _indicator_bands(raw, rule, where, max_points)
    return Indicator(
        code=code,
        group=group,
        criterion=criterion,
        rule=rule,
        max_points=max_points,
        name=str(raw.get("name", "")),
        provenance=provenance,
        note=raw.get("note"),
        measure=raw.get("measure"),
        bands=bands,
        bands_by_level=by_level,
        cross_check=_indicator_cross_check(raw, rule, where),
    )


def _indicator_max_points(raw: dict, rule: str, where: str) -> float:
    """0 for a mandatory condition (it has no points), else its positive `max_points`."""
    if rule == "mandatory":
        if raw.get("max_points") not in (None, 0):
            raise CdsIndexError(f"{where}: điều kiện bắt buộc (mandatory) không có điểm")
        return 0.0
    if "max_points" not in raw:
        raise CdsIndexError(f"{where}: thiếu 'max_points'")
    max_points = _number(raw["max_points"], where, "max_points")
    if max_points <= 0:
        raise CdsIndexError(f"{where}: 'max_points' phải lớn hơn 0")
    return max_points


def _indicator_bands(
    raw: dict, rule: str, where: str, max_points: float
) -> tuple[tuple[Band, ...], dict[str, tuple[Band, ...]]]:
    """(bands, bands by level) of a `bands` indicator; none for the other rules."""
    if rule != "bands":
        if raw.get("bands") or raw.get("bands_by_level"):
            raise CdsIndexError(f"{where}: có 'bands' nhưng quy tắc là '{rule}'")
        return (), {}
    bands = _parse_bands(raw.get("bands"), where, max_points)
    by_level: dict[str, tuple[Band, ...]] = {}
    for level, lst in (raw.get("bands_by_level") or {}).items():
        if level not in SCHOOL_LEVELS:
            raise CdsIndexError(f"{where}: bands_by_level có cấp học không hợp lệ '{level}'")
        by_level[level] = _parse_bands(lst, f"{where}, bands_by_level {level}", max_points)
    return bands, by_level


def _indicator_cross_check(raw: dict, rule: str, where: str) -> CrossCheck | None:
    """`cross_check: {measure: M, tolerance: T}` of a `ratio` or `bands` indicator."""
    if raw.get("cross_check") is None:
        return None
    cc = raw["cross_check"]
    if rule not in ("ratio", "bands"):
        raise CdsIndexError(
            f"{where}: 'cross_check' chỉ dùng cho chỉ số tỉ lệ (ratio) hoặc theo khoảng (bands), "
            f"không dùng cho quy tắc '{rule}'"
        )
    if not isinstance(cc, dict) or {"measure", "tolerance"} - set(cc):
        raise CdsIndexError(f"{where}: 'cross_check' cần 'measure' và 'tolerance'")
    unknown = set(cc) - {"measure", "tolerance"}
    if unknown:
        raise CdsIndexError(f"{where}: 'cross_check' có khoá không hợp lệ {sorted(unknown)}")
    if cc["measure"] not in CROSS_CHECK_MEASURES:
        raise CdsIndexError(
            f"{where}: cross_check: số đo '{cc['measure']}' không hợp lệ "
            f"(chỉ nhận {', '.join(CROSS_CHECK_MEASURES)})"
        )
    tolerance = _number(cc["tolerance"], f"{where}: cross_check", "tolerance")
    if tolerance < 0:
        raise CdsIndexError(f"{where}: cross_check: 'tolerance' không được âm")
    return CrossCheck(cc["measure"], tolerance)


def _check_group_totals(groups: list[Group], indicators: list[Indicator], origin: str) -> None:
    """Each group's max_points is the sum of its indicators'."""
    for g in groups:
        total = sum(i.max_points for i in indicators if i.group == g.code)
        if abs(total - g.max_points) > 1e-9:
            raise CdsIndexError(
                f"{origin}: nhóm '{g.code}': tổng điểm các chỉ số là {total:g}, "
                f"khác max_points {g.max_points:g}"
            )


def load_index(path: Path) -> CdsIndex:
    """Read and validate `cds_index.yaml`."""
    try:
        doc = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise CdsIndexError(f"Không tìm thấy tệp bộ chỉ số: {path}") from exc
    except yaml.YAMLError as exc:
        raise CdsIndexError(f"{Path(path).name}: tệp YAML không đọc được: {exc}") from exc
    return parse_index(doc, origin=Path(path).name)
