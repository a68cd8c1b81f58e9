"""Find people named in a support ticket's text: the finder is shared with the live desk's
redaction, in `assistant.redaction.names`."""

from __future__ import annotations

from assistant.redaction.names import find_person_names

__all__ = ["find_person_names"]
