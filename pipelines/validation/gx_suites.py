"""Run a Great Expectations suite from `expectations/<name>.json` on a DataFrame.

GX 1.x has no DuckDB or Polars data source, and its SQL data source over duckdb_engine
reports false failures (it fetches after closing the connection). So the landing table is
read with DuckDB and handed to GX's pandas data source, which really evaluates every
expectation. GX is imported here, lazily, once per process (the import takes ~10 s).
"""

from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipelines.atomic_file import write_text_if_changed
from pipelines.settings import EXPECTATIONS_DIR

if TYPE_CHECKING:
    import pandas as pd

logger = logging.getLogger(__name__)


@dataclass
class Failure:
    expectation: str
    column: str | None
    severity: str
    description_vi: str
    unexpected_count: int | None
    examples: list[Any]
    rows: list[int]  # `_row` of failing rows where the table carries lineage
    places: list[str] = field(default_factory=list)  # "<file> dòng <row>" of failing rows


@dataclass
class Tally:
    """The counts behind a `mostly` expectation's verdict in one part of a table: GX's
    success is `(counted - unexpected) / counted >= mostly` (counted: rows with a value,
    or every row for the null checks), which only the whole table's counts can decide."""

    expectation: str
    column: str | None
    severity: str
    description_vi: str
    mostly: float
    counted: int
    unexpected: int

    @property
    def key(self) -> tuple:
        return (self.expectation, self.column, self.severity, self.description_vi)

    @property
    def success(self) -> bool:
        return self.counted == 0 or (self.counted - self.unexpected) / self.counted >= self.mostly


@dataclass
class SuiteOutcome:
    suite: str
    element_count: int
    evaluated: int
    failures: list[Failure] = field(default_factory=list)
    tallies: list[Tally] = field(default_factory=list)  # one per `mostly` expectation

    @property
    def success(self) -> bool:
        return not self.failures

    @property
    def severity(self) -> str | None:
        if any(f.severity == "error" for f in self.failures):
            return "error"
        return "warning" if self.failures else None


def _merge_tallies(outcomes: list[SuiteOutcome]) -> dict[tuple, Tally]:
    tallies: dict[tuple, Tally] = {}
    for outcome in outcomes:
        for t in outcome.tallies:
            if t.key in tallies:
                tallies[t.key].counted += t.counted
                tallies[t.key].unexpected += t.unexpected
            else:
                tallies[t.key] = Tally(**asdict(t))
    return tallies


def merge_outcomes(outcomes: list[SuiteOutcome]) -> SuiteOutcome:
    """One outcome for a table validated in parts (earlier loads, then each new chunk).
    Exact for these suites: their uniqueness rules are per load (`_load_seq` in the key),
    counts add up, and a `mostly` expectation is judged once, on the summed counts of every
    part (a part may fail where the whole passes, and the other way round: issue 21)."""
    tallies = _merge_tallies(outcomes)
    merged: dict[tuple, Failure] = {}
    for outcome in outcomes:
        for f in outcome.failures:
            key = (f.expectation, f.column, f.severity, f.description_vi)
            if key not in merged:
                merged[key] = Failure(**{**asdict(f), "examples": [], "rows": [], "places": []})
                merged[key].unexpected_count = None
            m = merged[key]
            if f.unexpected_count is not None:
                m.unexpected_count = (m.unexpected_count or 0) + f.unexpected_count
            m.examples = (m.examples + f.examples)[:10]
            m.rows = (m.rows + f.rows)[:20]
            m.places = (m.places + f.places)[:20]
    for key, tally in tallies.items():
        if tally.success:
            merged.pop(key, None)
            continue
        failure = merged.setdefault(key, Failure(*key, unexpected_count=None, examples=[], rows=[]))
        failure.unexpected_count = tally.unexpected  # over the whole table, passing parts too
    return SuiteOutcome(
        suite=outcomes[0].suite,
        element_count=sum(o.element_count for o in outcomes),
        evaluated=max(o.evaluated for o in outcomes),
        failures=list(merged.values()),
        tallies=list(tallies.values()),
    )


def outcome_to_json(outcome: SuiteOutcome) -> str:
    return json.dumps(asdict(outcome), ensure_ascii=False, default=str)


def outcome_from_json(text: str) -> SuiteOutcome:
    data = json.loads(text)
    return SuiteOutcome(
        suite=data["suite"],
        element_count=data["element_count"],
        evaluated=data["evaluated"],
        failures=[Failure(**f) for f in data["failures"]],
        tallies=[Tally(**t) for t in data.get("tallies", [])],
    )


def suite_path(name: str) -> Path:
    return EXPECTATIONS_DIR / f"{name}.json"


def load_suite_spec(name: str) -> dict[str, Any]:
    return json.loads(suite_path(name).read_text(encoding="utf-8"))


@cache
def _context():  # type: ignore[no-untyped-def]
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx

    ctx = gx.get_context(mode="ephemeral")
    try:
        from great_expectations.data_context.types.base import ProgressBarsConfig

        ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
    except Exception:  # progress bars are cosmetic; never fail validation over them
        pass
    ctx.data_sources.add_pandas("landing")
    return ctx


DOCS_SITE = "cds_warehouse"
_docs_dir: list[Path] = []  # the folder the (one, cached) context's site writes to


def _docs_site(ctx, docs_dir: Path) -> None:  # type: ignore[no-untyped-def]
    """Point the context's Data Docs site at `docs_dir` (again only when it changes)."""
    if _docs_dir == [docs_dir]:
        return
    if _docs_dir:
        ctx.delete_data_docs_site(DOCS_SITE)
    docs_dir.mkdir(parents=True, exist_ok=True)
    ctx.add_data_docs_site(
        site_name=DOCS_SITE,
        site_config={
            "class_name": "SiteBuilder",
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(docs_dir),
            },
            # our index: lists every suite from the pages on disk, cleans nothing, and makes
            # every page open offline (see finish_data_docs)
            "site_index_builder": {
                "class_name": "OfflineSiteIndexBuilder",
                "module_name": __name__,
            },
            "show_how_to_buttons": False,
        },
    )
    _docs_dir[:] = [docs_dir]


# --- Data Docs that open offline and keep every suite --------------------------------------
#
# GX's pages load Bootstrap, jQuery, bootstrap-table, Font Awesome and Vega from CDNs, and its
# index is drawn by bootstrap-table in the browser: offline, the pages are unstyled and the
# index is empty. Its index builder also deletes the pages of every suite the (ephemeral,
# per-process) context did not validate, so a run that validates one suite removed the
# others. So the site's index builder is ours: after GX has written this run's pages it
# strips the remote tags from every page, links a small local stylesheet and script written
# here (static/cds/), and writes a static index, in Vietnamese, of every suite on disk.

KEEP_RUNS = 10  # validation pages kept per suite, newest first
RUNS_FILE = "cds_runs.json"  # result of each validation page (for the index), by page path
ASSETS = "static/cds"
_MARK = '<meta name="cds-offline" content="1">'
_REMOTE_TAG = re.compile(
    r'<link\b[^>]*\bhref="https?://[^"]*"[^>]*>[ \t]*\n?'
    r'|<script\b[^>]*\bsrc="https?://[^"]*"[^>]*>\s*</script>[ \t]*\n?',
    re.IGNORECASE,
)
_REMOTE_LOGO = re.compile(r'src="https?://[^"]*/logo-long\.png[^"]*"')
_REMOTE_CSS_URL = re.compile(r"url\(\s*['\"]?https?://[^)]*\)")
_DARK_MODE = re.compile(r"@media \(prefers-color-scheme: dark\) \{.*?\}\s*(?=</style>)", re.S)
_NEWSLETTER = re.compile(r"<footer>\s*<p>Stay current.*?</footer>\s*", re.S)
# GX links the favicon of a validation page one folder short: every static/ link re-rooted
_LOCAL_STATIC = re.compile(r'\b(href|src)="(?:\.\.?/)*static/')

_SPACING = {"0": "0", "1": ".25rem", "2": ".5rem", "3": "1rem", "4": "1.5rem", "5": "3rem"}
_SIDES = {
    "": ("",),
    "t": ("-top",),
    "b": ("-bottom",),
    "l": ("-left",),
    "r": ("-right",),
    "x": ("-left", "-right"),
    "y": ("-top", "-bottom"),
}


def _spacing_css() -> str:
    rules = [
        f".{short}{side}-{step}{{"
        + ";".join(f"{prop}{edge}:{size}!important" for edge in edges)
        + "}"
        for short, prop in (("m", "margin"), ("p", "padding"))
        for side, edges in _SIDES.items()
        for step, size in _SPACING.items()
    ]
    return "\n".join(
        [
            *rules,
            ".mr-auto{margin-right:auto!important}",
            "@media (min-width:576px){.pl-sm-3{padding-left:1rem!important}}",
            "@media (min-width:768px){.pl-md-4{padding-left:1.5rem!important}"
            ".pr-md-3{padding-right:1rem!important}}",
        ]
    )


# What the pages use of Bootstrap 4 and Font Awesome, written for these pages (no download).
OFFLINE_CSS = (
    r"""/* Data Docs offline: thay Bootstrap 4 và Font Awesome tải từ Internet. */
*,*::before,*::after{box-sizing:border-box}
html{color-scheme:light}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,
"Noto Sans",sans-serif;font-size:15px;line-height:1.5;color:#212529;background:#fff}
a{color:#0062cc;text-decoration:none}a:hover{text-decoration:underline}
h1,h2,h3,h4,h5,h6,.h6{margin:0 0 .5rem;font-weight:600;line-height:1.25}
h4{font-size:1.4rem}h5{font-size:1.15rem}h6,.h6{font-size:1rem}
p{margin:0 0 1rem}.lead{font-size:1.1rem;font-weight:300}strong{font-weight:600}
ul{margin:0 0 1rem}pre,code{font-family:SFMono-Regular,Menlo,Consolas,monospace;font-size:90%}
pre{white-space:pre-wrap;overflow:auto}code{color:#c7254e;word-break:break-word}
[hidden],.d-none{display:none!important}.d-flex{display:flex!important}
.d-sm-block{display:block}
@media (min-width:768px){.d-md-block{display:block!important}
.d-md-inline-flex{display:inline-flex!important}}
.container-fluid{width:100%;padding-right:15px;padding-left:15px;margin:0 auto}
.row{display:flex;flex-wrap:wrap;margin-right:-15px;margin-left:-15px}
[class*="col-"]{position:relative;width:100%;padding-right:15px;padding-left:15px}
.col-12{flex:0 0 100%;max-width:100%}.col-6{flex:0 0 50%;max-width:50%}
@media (min-width:768px){.col-md-2{flex:0 0 16.667%;max-width:16.667%}
.col-md-10{flex:0 0 83.333%;max-width:83.333%}}
@media (min-width:992px){.col-lg-2{flex:0 0 16.667%;max-width:16.667%}
.col-lg-10{flex:0 0 83.333%;max-width:83.333%}}
.align-items-center{align-items:center!important}
.justify-content-center{justify-content:center!important}
.flex-column{flex-direction:column!important}.float-left{float:left!important}
.h-100{height:100%!important}.text-center{text-align:center!important}
.rounded{border-radius:.25rem!important}.rounded-0{border-radius:0!important}
.border{border:1px solid #dee2e6!important}.border-bottom{border-bottom:1px solid #dee2e6!important}
.bg-light{background:#f8f9fa!important}.invisible{visibility:hidden!important}
.sticky-top{position:sticky;top:0;z-index:1020}
.fixed-bottom{position:fixed;right:0;bottom:0;left:0;z-index:1030}
.navbar{display:flex;flex-wrap:wrap;align-items:center;padding:.5rem 1rem;background:#fff}
.navbar-brand img{display:block;max-height:50px}
.nav{display:flex;flex-wrap:wrap;padding-left:0;margin-bottom:0;list-style:none}
.nav-link{display:block;padding:.35rem .75rem}
.nav-pills .nav-link.active{color:#fff;background:#0062cc;border-radius:.25rem}
.nav-tabs{border-bottom:1px solid #dee2e6}.nav-tabs .nav-link{margin-bottom:-1px;
border:1px solid transparent;border-radius:.25rem .25rem 0 0}
.nav-tabs .nav-link.active{color:#495057;background:#fff;border-color:#dee2e6 #dee2e6 #fff}
.tab-content>.tab-pane{display:none}.tab-content>.active{display:block}
.collapse:not(.show){display:none}.fade:not(.show){opacity:0}
.breadcrumb{display:flex;flex-wrap:wrap;padding:.5rem 1rem;margin:0;list-style:none;
border-radius:.25rem}
.breadcrumb-item+.breadcrumb-item::before{content:"/";padding:0 .5rem;color:#6c757d}
.breadcrumb-item.active{color:#6c757d}
.card{display:flex;flex-direction:column;min-width:0;background:#fff;
border:1px solid rgba(0,0,0,.125);border-radius:.25rem}
.card-header{padding:.75rem 1.25rem;background:rgba(0,0,0,.03);
border-bottom:1px solid rgba(0,0,0,.125)}
.card-body{flex:1 1 auto;padding:1.25rem}.card-text{margin-bottom:0}
.alert{position:relative;padding:.75rem 1.25rem;margin-bottom:1rem;border:1px solid transparent;
border-radius:.25rem}
.alert-secondary{color:#383d41;background:#e2e3e5;border-color:#d6d8db}
.alert-info{color:#0c5460;background:#d1ecf1;border-color:#bee5eb}
.badge{display:inline-block;padding:.25em .45em;font-size:80%;font-weight:600;line-height:1;
white-space:nowrap;vertical-align:baseline;border-radius:.25rem}
.badge-secondary{color:#fff;background:#6c757d}
.btn{display:inline-block;padding:.3rem .75rem;font-size:.9rem;line-height:1.5;
border:1px solid transparent;border-radius:.25rem;cursor:pointer;user-select:none}
.btn-sm{padding:.2rem .5rem;font-size:.8rem}
.btn-primary{color:#fff;background:#0062cc;border-color:#0062cc}
.btn-primary.active{background:#004a99;border-color:#004085}
.btn-secondary{color:#fff;background:#6c757d;border-color:#6c757d}
.btn-group{display:inline-flex}.btn-group>.btn+.btn{margin-left:-1px}
.btn-group-toggle input{position:absolute;clip:rect(0,0,0,0);pointer-events:none}
.close{float:right;font-size:1.5rem;font-weight:700;line-height:1;background:none;border:0}
.table{width:100%;margin-bottom:1rem;color:#212529;border-collapse:collapse}
.table th,.table td{padding:.5rem;vertical-align:top;border-top:1px solid #dee2e6}
.table thead th{vertical-align:bottom;border-bottom:2px solid #dee2e6;text-align:left}
.table-sm th,.table-sm td{padding:.3rem}
.table-bordered,.table-bordered th,.table-bordered td{border:1px solid #dee2e6}
.table-responsive{display:block;width:100%;overflow-x:auto}
.text-success{color:#1e7e34!important}.text-danger{color:#b21f2d!important}
.text-warning{color:#9c7400!important}
i.fas{font-style:normal;display:inline-block;min-width:1em;text-align:center}
.fa-check-circle::before{content:"\2714"}.fa-times::before{content:"\2718"}
.fa-exclamation-triangle::before{content:"\26A0"}.fa-question-circle::before{content:"?"}
.fa-comment::before{content:"\1F4AC"}
.cds-ok{color:#1e7e34;font-weight:600}.cds-fail{color:#b21f2d;font-weight:600}
.cds-warn{color:#9c7400;font-weight:600}.cds-note{color:#555;font-size:.9rem}
.cds-index{max-width:1200px}.cds-index td ul{margin:0;padding-left:1.1rem}
"""
    + _spacing_css()
    + "\n"
)

# Collapsible sections, tabs and the "Failed only" filter without jQuery or Bootstrap; `$` is a
# stub so GX's inline scripts (written for jQuery) do nothing instead of failing.
OFFLINE_JS = r"""/* Data Docs offline: thay jQuery và Bootstrap tải từ Internet. */
(function () {
  var stub = new Proxy(function () {}, {
    get: function (target, key) { return key === "length" ? 0 : stub; },
    apply: function () { return stub; }
  });
  window.$ = window.jQuery = stub;
  function target(link) {
    var ref = link.getAttribute("data-target") || link.getAttribute("href") || "";
    return ref.charAt(0) === "#" ? document.getElementById(ref.slice(1)) : null;
  }
  function showSucceeded(show) {
    var hide = function (el) { if (el) { el.style.display = show ? "" : "none"; } };
    document.querySelectorAll(".hide-succeeded-validation-target-child").forEach(function (el) {
      hide(el.parentElement);
    });
    document.querySelectorAll(".hide-succeeded-validation-target").forEach(hide);
    document.querySelectorAll(".hide-succeeded-validations-column-section-target-child")
      .forEach(function (el) {
        var section = el.parentElement && el.parentElement.parentElement;
        hide(section);
        if (section && section.id) {
          document.querySelectorAll('a[href$="#' + section.id + '"]').forEach(function (a) {
            hide(a.parentElement);
          });
        }
      });
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-toggle]");
    if (!link) { return; }
    var kind = link.getAttribute("data-toggle");
    if (kind === "buttons") {
      var button = event.target.closest(".btn");
      if (button) {
        link.querySelectorAll(".btn").forEach(function (b) { b.classList.remove("active"); });
        button.classList.add("active");
      }
      return;
    }
    var pane = target(link);
    if (!pane) { return; }
    event.preventDefault();
    if (kind === "collapse") {
      pane.classList.toggle("show");
      link.setAttribute("aria-expanded", pane.classList.contains("show"));
    } else if (kind === "tab") {
      var nav = link.closest(".nav");
      if (nav) {
        nav.querySelectorAll(".nav-link").forEach(function (a) { a.classList.remove("active"); });
      }
      link.classList.add("active");
      Array.prototype.forEach.call(pane.parentElement.children, function (p) {
        p.classList.remove("active", "show");
      });
      pane.classList.add("active", "show");
    }
  });
  document.addEventListener("DOMContentLoaded", function () {
    window.showAllValidations = function () { showSucceeded(true); };
    window.hideSucceededValidations = function () { showSucceeded(false); };
  });
})();
"""


def offline_page(page: Path, docs_dir: Path) -> bool:
    """Rewrite one GX page to open offline: remote stylesheets and scripts removed, the logo
    and the local stylesheet and script linked relatively. False when already done."""
    text = page.read_text(encoding="utf-8")
    if _MARK in text:
        return False
    up = "../" * (len(page.relative_to(docs_dir).parts) - 1)
    text = _REMOTE_TAG.sub("", text)
    text = _REMOTE_LOGO.sub(f'src="{up}static/images/logo-long.png"', text)
    text = _REMOTE_CSS_URL.sub("none", text)
    text = _DARK_MODE.sub("", text)
    text = _NEWSLETTER.sub("", text)
    text = _LOCAL_STATIC.sub(lambda m: f'{m.group(1)}="{up}static/', text)
    head = (
        f'{_MARK}\n<link rel="stylesheet" href="{up}{ASSETS}/offline.css">\n'
        f'<script src="{up}{ASSETS}/offline.js"></script>\n</head>'
    )
    write_text_if_changed(page, text.replace("</head>", head, 1))
    return True


def _validation_pages(docs_dir: Path) -> dict[str, list[str]]:
    """suite → its validation pages (paths relative to docs_dir), newest first.
    GX writes validations/<suite>/<run name>/<run time>/<batch>.html."""
    pages: dict[str, list[str]] = {}
    for page in (docs_dir / "validations").glob("*/*/*/*.html"):
        rel = page.relative_to(docs_dir)
        pages.setdefault(rel.parts[1], []).append(rel.as_posix())
    return {
        suite: sorted(found, key=lambda p: (p.split("/")[3], p), reverse=True)
        for suite, found in pages.items()
    }


def _prune(docs_dir: Path, page: str) -> None:
    """Remove one old validation page and the folders it leaves empty."""
    path = docs_dir / page
    path.unlink(missing_ok=True)
    for folder in path.parents:
        if folder == docs_dir / "validations" or not folder.is_relative_to(docs_dir):
            break
        try:
            folder.rmdir()
        except OSError:  # not empty
            break


def _run_time(page: str) -> str:
    """The page's run time (UTC in its path) in Vietnam's time zone."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    stamp = page.split("/")[3]
    try:
        when = datetime.strptime(stamp, "%Y%m%dT%H%M%S.%fZ").replace(tzinfo=ZoneInfo("UTC"))
    except ValueError:
        return stamp
    return f"{when.astimezone(ZoneInfo('Asia/Ho_Chi_Minh')):%d/%m/%Y %H:%M}"


def _verdict(run: dict | None) -> str:
    if not run:
        return '<span class="cds-note">(không rõ)</span>'
    n = run.get("evaluated", 0)
    if run.get("errors"):
        return (
            f'<span class="cds-fail">✘ Không đạt</span>: {run["errors"]} quy tắc mức lỗi'
            + (f", {run['warnings']} mức cảnh báo" if run.get("warnings") else "")
            + f" / {n}"
        )
    if run.get("warnings"):
        return f'<span class="cds-warn">⚠ Cảnh báo</span>: {run["warnings"]} quy tắc / {n}'
    return f'<span class="cds-ok">✔ Đạt</span> ({n} quy tắc)'


def _suite_labels() -> dict[str, str]:
    """Vietnamese names of the sources (labels_vi.csv `source.*`), by suite."""
    from pipelines.reference.labels import load_labels
    from pipelines.settings import Settings

    try:
        labels = load_labels(Settings.from_env().reference_file("labels_vi.csv"))
    except Exception:  # labels are cosmetic here
        return {}
    return {f"landing_{code}": label for code, label in labels.values.get("source", {}).items()}


def _index_html(docs_dir: Path, pages: dict[str, list[str]], runs: dict[str, dict]) -> str:
    from html import escape

    suites = sorted(
        {p.stem for p in EXPECTATIONS_DIR.glob("*.json")}
        | set(pages)
        | {p.stem for p in (docs_dir / "expectations").glob("*.html")}
    )
    names = _suite_labels()
    rows = []
    for suite in suites:
        found = pages.get(suite, [])
        rules = docs_dir / "expectations" / f"{suite}.html"
        rules_cell = (
            f'<a href="expectations/{escape(suite)}.html">Xem các quy tắc</a>'
            if rules.is_file()
            else '<span class="cds-note">(chưa có trang)</span>'
        )
        if found:
            latest = (
                f'<a href="{escape(found[0])}">{_run_time(found[0])}</a>'
                f"<br>{_verdict(runs.get(found[0]))}"
            )
            older = "".join(
                f'<li><a href="{escape(p)}">{_run_time(p)}</a> — {_verdict(runs.get(p))}</li>'
                for p in found[1:]
            )
            older = f"<ul>{older}</ul>" if older else ""
        else:
            latest, older = '<span class="cds-note">Chưa kiểm tra lần nào</span>', ""
        rows.append(
            f"<tr><td><strong>{escape(names.get(suite, suite))}</strong><br>"
            f"<code>{escape(suite)}</code></td><td>{rules_cell}</td><td>{latest}</td>"
            f"<td>{older}</td></tr>"
        )
    return f"""<!DOCTYPE html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
{_MARK}
<title>Kết quả kiểm tra dữ liệu nạp (Great Expectations)</title>
<link rel="stylesheet" href="{ASSETS}/offline.css">
<link rel="icon" href="static/images/favicon.ico">
</head>
<body>
<div class="container-fluid cds-index pt-4 pb-4 pl-5 pr-5">
<h4>Kết quả kiểm tra các bảng dữ liệu nạp</h4>
<p class="lead">Mỗi bảng nạp (landing) được kiểm tra bằng một bộ quy tắc Great Expectations mỗi
khi có tệp mới. Bấm vào một lần kiểm tra để xem từng quy tắc, cột và ví dụ giá trị sai.</p>
<table class="table table-sm table-bordered">
<thead><tr><th>Bảng</th><th>Bộ quy tắc</th><th>Lần kiểm tra gần nhất</th>
<th>Các lần trước</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody>
</table>
<p class="cds-note">Giờ Việt Nam. Mỗi bộ quy tắc giữ {KEEP_RUNS} lần kiểm tra gần nhất. Một lần
kiểm tra chỉ xét các dòng nạp mới; kết quả của cả bảng là kiểm tra gx_landing_… của bảng đó
trong Dagster. Trang này và các trang kết quả mở được không cần Internet.</p>
</div>
</body>
</html>
"""


def finish_data_docs(docs_dir: Path, results: dict[str, dict] | None = None) -> Path:
    """Make the Data Docs in `docs_dir` open offline and list every suite on disk: old
    validation pages beyond KEEP_RUNS per suite removed, every page rewritten by
    `offline_page`, the local stylesheet and script written, the index rewritten.
    `results`: page path → counts of a validation rendered now (kept in RUNS_FILE)."""
    docs_dir = Path(docs_dir)
    docs_dir.mkdir(parents=True, exist_ok=True)
    runs_path = docs_dir / RUNS_FILE
    try:
        runs = json.loads(runs_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        runs = {}
    runs.update(results or {})
    pages = _validation_pages(docs_dir)
    for suite, found in pages.items():
        for old in found[KEEP_RUNS:]:
            _prune(docs_dir, old)
        pages[suite] = found[:KEEP_RUNS]
    runs = {page: run for page, run in runs.items() if (docs_dir / page).is_file()}
    write_text_if_changed(docs_dir / ASSETS / "offline.css", OFFLINE_CSS)
    write_text_if_changed(docs_dir / ASSETS / "offline.js", OFFLINE_JS)
    for page in sorted(docs_dir.glob("*/**/*.html")):
        offline_page(page, docs_dir)
    write_text_if_changed(runs_path, json.dumps(runs, ensure_ascii=False, indent=1, sort_keys=True))
    index = docs_dir / "index.html"
    write_text_if_changed(index, _index_html(docs_dir, pages, runs))
    return index


def ensure_offline_docs(docs_dir: Path) -> None:
    """Data Docs written before they were made offline (GX's own index) are made so now,
    without waiting for the next validation of a suite; cheap when already done."""
    index = Path(docs_dir) / "index.html"
    try:
        done = _MARK in index.read_text(encoding="utf-8")
    except OSError:
        return  # no docs yet
    if not done:
        finish_data_docs(docs_dir)


def _run_counts(result) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Rules evaluated and failed, by our severity, of one GX validation result."""
    failed = [r for r in result.results if not r.success]

    def severity(r) -> str:  # type: ignore[no-untyped-def]
        return ((r.expectation_config.meta or {}) if r.expectation_config else {}).get(
            "severity", "error"
        )

    return {
        "evaluated": len(result.results),
        "errors": sum(1 for r in failed if severity(r) != "warning"),
        "warnings": sum(1 for r in failed if severity(r) == "warning"),
    }


@cache
def _index_builder_class() -> type:
    from great_expectations.data_context.types.resource_identifiers import (
        ValidationResultIdentifier,
    )
    from great_expectations.render.renderer.site_builder import DefaultSiteIndexBuilder

    class OfflineSiteIndexBuilder(DefaultSiteIndexBuilder):
        """GX's index builder without its index and its cleaning: `finish_data_docs`."""

        def build(self, skip_and_clean_missing=True, build_index: bool = True):  # type: ignore[no-untyped-def]
            backend = self.target_store.store_backends[ValidationResultIdentifier]
            docs_dir = Path(backend.full_base_directory)
            store = self.data_context.validation_results_store
            try:
                known = set(json.loads((docs_dir / RUNS_FILE).read_text(encoding="utf-8")))
            except (OSError, ValueError):
                known = set()
            try:
                results = {}
                for key in store.list_keys():
                    page = "validations/" + "/".join(key.to_tuple()) + ".html"
                    if page not in known and (docs_dir / page).is_file():
                        results[page] = _run_counts(store.get(key))
                index = finish_data_docs(docs_dir, results)
            except Exception as exc:  # the pages are a view: never fail a validation over them
                logger.warning("Data Docs offline: %s", exc)
                return None, None
            return index.as_uri(), None

    return OfflineSiteIndexBuilder


def __getattr__(name: str) -> Any:
    """GX loads the site's index builder by module and class name; the class is made on
    first use, so that importing this module does not import GX."""
    if name == "OfflineSiteIndexBuilder":
        return _index_builder_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def run_suite(
    name: str,
    df: pd.DataFrame,
    parameters: dict[str, Any] | None = None,
    docs_dir: Path | None = None,
) -> SuiteOutcome:
    """Validate `df` with the suite `name`; every failing expectation is returned.
    With `docs_dir`, the result is also rendered into Great Expectations Data Docs there."""
    import great_expectations as gx
    import pandas as pd
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    spec = load_suite_spec(name)
    ctx = _context()
    source = ctx.data_sources.get("landing")
    try:
        asset = source.get_asset(name)
    except LookupError:
        asset = source.add_dataframe_asset(name)
    try:
        batch = asset.get_batch_definition("whole")
    except KeyError:
        batch = asset.add_batch_definition_whole_dataframe("whole")
    expectations = [
        ExpectationConfiguration(
            type=e["type"], kwargs=e["kwargs"], meta=e.get("meta", {})
        ).to_domain_obj()
        for e in spec["expectations"]
    ]
    suite = ctx.suites.add_or_update(gx.ExpectationSuite(name=name, expectations=expectations))
    definition = ctx.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=f"{name}_validation", data=batch, suite=suite)
    )
    if docs_dir is None:
        result = definition.run(
            batch_parameters={"dataframe": df},
            expectation_parameters=parameters or {},
            result_format="COMPLETE",
        )
    else:  # the same validation through a checkpoint that also renders Data Docs
        _docs_site(ctx, docs_dir)
        checkpoint = ctx.checkpoints.add_or_update(
            gx.Checkpoint(
                name=f"{name}_checkpoint",
                validation_definitions=[definition],
                actions=[
                    gx.checkpoint.UpdateDataDocsAction(name="data_docs", site_names=[DOCS_SITE])
                ],
                result_format="COMPLETE",
            )
        )
        run = checkpoint.run(
            batch_parameters={"dataframe": df}, expectation_parameters=parameters or {}
        )
        [result] = run.run_results.values()
    failures: list[Failure] = []
    tallies: list[Tally] = []
    for r in result.results:
        cfg = r.expectation_config
        meta = cfg.meta or {}
        res = r.result or {}
        mostly = cfg.kwargs.get("mostly")
        if mostly is not None and res.get("unexpected_count") is not None:
            tallies.append(
                Tally(
                    expectation=cfg.type,
                    column=cfg.kwargs.get("column"),
                    severity=meta.get("severity", "error"),
                    description_vi=meta.get("description_vi", cfg.type),
                    mostly=float(mostly),
                    counted=int(res.get("element_count", 0)) - int(res.get("missing_count") or 0),
                    unexpected=int(res["unexpected_count"]),
                )
            )
        if r.success:
            continue
        idx = res.get("unexpected_index_list") or []
        rows: list[int] = []
        places: list[str] = []
        if "_row" in df.columns and idx and all(isinstance(i, int) for i in idx):
            failing = df.iloc[idx[:20]]
            rows = [int(v) for v in failing["_row"].tolist() if pd.notna(v)]
            if "_source_file" in df.columns:
                places = [
                    f"{f} dòng {int(r)}"
                    for f, r in zip(failing["_source_file"], failing["_row"], strict=True)
                    if pd.notna(r)
                ]
        error = (r.exception_info or {}).get("exception_message") if r.exception_info else None
        failures.append(
            Failure(
                expectation=cfg.type,
                column=cfg.kwargs.get("column"),
                severity=meta.get("severity", "error"),
                description_vi=meta.get("description_vi", cfg.type)
                + (f" ({error})" if error else ""),
                unexpected_count=res.get("unexpected_count"),
                examples=[_plain(v) for v in (res.get("partial_unexpected_list") or [])[:10]],
                rows=rows,
                places=places,
            )
        )
    return SuiteOutcome(
        suite=name,
        element_count=len(df),
        evaluated=len(result.results),
        failures=failures,
        tallies=tallies,
    )


def _plain(value: Any) -> Any:
    if isinstance(value, float) and value != value:  # NaN
        return None
    return value if isinstance(value, str | int | float | bool) or value is None else str(value)
