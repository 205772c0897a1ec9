"""Great Expectations Data Docs open offline and keep every suite (issue 15).

GX's pages load their styles and scripts from CDNs and its index is drawn by a script, so
offline they were unstyled and the index empty; and a run that validated one suite deleted
the pages of the others. The site's index builder is now ours (gx_suites.finish_data_docs)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from pipelines.ingest.sources import SOURCES
from pipelines.validation import gx_suites
from pipelines.validation.gx_suites import KEEP_RUNS, finish_data_docs, offline_page, run_suite

# one suite per declared source (expectations/landing_<source>.json)
SUITES = [f"landing_{name}" for name in SOURCES]
REMOTE_ASSET = re.compile(
    r'<(?:link|script)\b[^>]*\b(?:href|src)="https?://|url\(\s*[\'"]?https?://', re.IGNORECASE
)
LOCAL_REF = re.compile(r'\b(?:href|src)="(?!https?:|mailto:|#|javascript:)([^"#?]+)')


def assert_offline(docs: Path) -> None:
    """No stylesheet, script or image from the internet; every local reference exists."""
    pages = sorted(docs.rglob("*.html"))
    assert pages
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert not REMOTE_ASSET.search(text), (page, REMOTE_ASSET.search(text).group(0))
        assert "static/cds/offline.css" in text, page
        for ref in LOCAL_REF.findall(text):
            assert (page.parent / ref).resolve().is_file(), (page, ref)


def index_links(docs: Path) -> dict[str, list[str]]:
    """suite → the validation pages the index links to."""
    text = (docs / "index.html").read_text(encoding="utf-8")
    links: dict[str, list[str]] = {}
    for page in re.findall(r'href="(validations/[^"]+\.html)"', text):
        links.setdefault(page.split("/")[1], []).append(page)
    return links


def _frame(suite: str) -> pd.DataFrame:
    from pipelines.ingest.landing import LINEAGE_SCHEMA
    from pipelines.ingest.sources import SOURCES

    source = SOURCES[suite.removeprefix("landing_")]
    return pd.DataFrame(columns=[*source.landing_schema, *LINEAGE_SCHEMA])


def _parameters(suite: str) -> dict:
    columns = list(_frame(suite).columns)
    return {"school_codes": [], "indicator_codes": [], "emis_codes": [], "landing_columns": columns}


def _new_process() -> None:
    """What a new run's process starts with: an empty (ephemeral) GX context."""
    gx_suites._context.cache_clear()
    gx_suites._docs_dir.clear()


def test_docs_open_offline_and_a_later_run_keeps_every_suite(tmp_path: Path) -> None:
    docs = tmp_path / "docs" / "gx"
    _new_process()
    for suite in SUITES:  # a full run: every suite validated (an empty table fails schools)
        run_suite(suite, _frame(suite), _parameters(suite), docs_dir=docs)
    assert_offline(docs)
    first = index_links(docs)
    assert sorted(first) == sorted(SUITES)
    index = (docs / "index.html").read_text(encoding="utf-8")
    assert "Danh mục trường" in index and "Không đạt" in index and "Đạt" in index

    _new_process()  # a later run where only the registry has a new file
    run_suite("landing_schools", _frame("landing_schools"), {}, docs_dir=docs)
    assert_offline(docs)
    later = index_links(docs)
    assert sorted(later) == sorted(SUITES)
    for suite in SUITES:
        assert (docs / "expectations" / f"{suite}.html").is_file()
        assert all((docs / page).is_file() for page in later[suite])
        if suite != "landing_schools":
            assert later[suite] == first[suite]  # not validated again, still there
    assert later["landing_schools"][1:] == first["landing_schools"]  # the new one first


GX_PAGE = """<!DOCTYPE html>
<html>
  <head>
    <link rel="stylesheet" href="https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css"/>
    <style>
body {{ position: relative; }}
/* some css overrides for dark mode*/
@media (prefers-color-scheme: dark) {{
  .navbar-brand a {{
    background: url('https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/x.png') 0 0;
  }}
}}</style>
<script src="https://code.jquery.com/jquery-3.7.1.min.js"></script>
<script src="https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js" integrity="sha384-x" crossorigin="anonymous"></script>
<link rel="shortcut icon" href="{up}static/images/favicon.ico" type="image/x-icon"/>
  </head>
  <body>
    <img src="https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/logo-long.png?d=1"/>
    <a href="{up}index.html">Home</a>
<footer>
  <p>Stay current on everything GX with our newsletter <a href="https://greatexpectations.io/newsletter">Subscribe</a></p>
</footer>
  </body>
</html>
"""


def _gx_site(docs: Path, suite: str, run_times: list[str]) -> None:
    (docs / "static" / "images").mkdir(parents=True, exist_ok=True)
    for name in ("favicon.ico", "logo-long.png"):
        (docs / "static" / "images" / name).write_bytes(b"")
    (docs / "expectations").mkdir(exist_ok=True)
    (docs / "expectations" / f"{suite}.html").write_text(GX_PAGE.format(up="../"))
    for stamp in run_times:
        page = docs / "validations" / suite / "__none__" / stamp / f"landing-{suite}.html"
        page.parent.mkdir(parents=True)
        page.write_text(GX_PAGE.format(up="../../../../"))


def test_pages_are_rewritten_once_and_old_runs_pruned(tmp_path: Path) -> None:
    """Without GX: the rewrite of a page, its idempotence, and the runs kept per suite."""
    docs = tmp_path / "gx"
    stamps = [f"2026010{d}T000000.000000Z" for d in range(1, 1 + 3)] + [
        f"202602{d:02d}T000000.000000Z" for d in range(1, KEEP_RUNS + 1)
    ]
    _gx_site(docs, "landing_schools", stamps)
    newest = f"validations/landing_schools/__none__/{stamps[-1]}/landing-landing_schools.html"
    finish_data_docs(docs, {newest: {"evaluated": 12, "errors": 0, "warnings": 1}})
    assert_offline(docs)
    page = (docs / newest).read_text(encoding="utf-8")
    assert "prefers-color-scheme" not in page and "newsletter" not in page
    assert 'src="../../../../static/images/logo-long.png"' in page
    assert not offline_page(docs / newest, docs)  # already offline: left alone

    kept = index_links(docs)["landing_schools"]
    assert len(kept) == KEEP_RUNS and kept[0] == newest
    assert not (docs / "validations" / "landing_schools" / "__none__" / stamps[0]).exists()
    index = (docs / "index.html").read_text(encoding="utf-8")
    assert "⚠ Cảnh báo" in index
    for suite in SUITES:  # suites never validated here are listed too
        assert f"<code>{suite}</code>" in index


def test_an_unexpected_folder_name_does_not_break_the_index(tmp_path: Path) -> None:
    docs, stamp = tmp_path / "gx", "not-a-time"
    _gx_site(docs, "landing_teachers", [stamp])
    finish_data_docs(docs)
    assert index_links(docs)["landing_teachers"]
    assert stamp in (docs / "index.html").read_text(encoding="utf-8")
