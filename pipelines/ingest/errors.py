"""The error a reader or a rule raises when a whole file cannot be used."""

from __future__ import annotations


class FileRejected(Exception):
    """The whole file cannot be used. `message_vi` is what the data officer reads."""

    def __init__(
        self,
        rule_id: str,
        message_vi: str,
        *,
        sheet: str | None = None,
        row: int | None = None,
        field: str | None = None,
        value: str | None = None,
        header: dict[str, str | None] | None = None,
    ) -> None:
        super().__init__(message_vi)
        self.rule_id = rule_id
        self.message_vi = message_vi
        self.sheet = sheet
        self.row = row
        self.field = field
        self.value = value
        self.header = header  # the header block, where it was read before the refusal
