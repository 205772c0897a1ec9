"""What the publish steps import, loaded while dbt builds (issue 16.7).

dbt runs in a process of its own; the run's process mostly waits for its output then. A
background thread imports the report writers meanwhile (Altair, vl-convert, xlsxwriter) and
starts vl-convert's JavaScript engine with a one-point chart, about 0.7 s the publish steps
no longer spend after dbt. Nothing here writes anything; a failure only leaves the work to
the publish steps, as before.
"""

from __future__ import annotations

import threading


def _warm_up() -> None:
    try:
        import vl_convert as vlc

        import pipelines.reports.excel
        import pipelines.reports.html
        import pipelines.reports.school_todo
        import pipelines.reports.statistical_forms  # noqa: F401

        vlc.vegalite_to_svg({"mark": "point", "data": {"values": [{}]}})
    except Exception:  # the publish steps import and render for themselves anyway
        pass


def warm_up_in_background() -> threading.Thread:
    thread = threading.Thread(target=_warm_up, name="cds-publish-warm-up", daemon=True)
    thread.start()
    return thread
