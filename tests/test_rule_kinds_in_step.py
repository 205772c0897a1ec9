"""The kinds of consistency rule are listed once in the dbt project (macro
consistency_rule_kinds, each with the family whose model evaluates it); the rule table's
loader (pipelines/reference/consistency_rules.py) accepts a kind or a family only if that list
has it, or a rule would load and then be evaluated by no model. Checked by breaking it once:
with 'match_export' taken out of the macro, this test failed."""

from __future__ import annotations

import re

from pipelines.reference.consistency_rules import FAMILIES, KINDS
from pipelines.settings import DBT_PROJECT_DIR

MACRO = DBT_PROJECT_DIR / "macros" / "consistency_rule_kinds.sql"


def _kinds_in_dbt() -> dict[str, str]:
    text = MACRO.read_text(encoding="utf-8")
    body = text[text.index("{% macro consistency_rule_kinds()") :]
    body = body[: body.index("{%- endmacro %}")]
    return dict(re.findall(r"'(\w+)':\s*'(\w+)'", body))


def _families_outside_report() -> dict[str, str]:
    """Families evaluated and located outside the statistical report, with their model."""
    text = MACRO.read_text(encoding="utf-8")
    body = text[text.index("{% macro rule_families_outside_report()") :]
    body = body[: body.index("{%- endmacro %}")]
    return dict(re.findall(r"'(\w+)':\s*'(\w+)'", body))


def test_loader_and_dbt_know_the_same_kinds_and_families() -> None:
    kinds = _kinds_in_dbt()
    assert set(kinds) == set(KINDS)
    assert set(kinds.values()) == set(FAMILIES)
    outside = _families_outside_report()
    assert set(outside) <= set(FAMILIES)
    for family in FAMILIES:  # each family's model exists
        model = outside.get(family, f"int_emis__breaches_{family}")
        assert (DBT_PROJECT_DIR / "models" / "intermediate" / f"{model}.sql").exists(), family
