"""What a model says about its audit trail: `__audit__ = Audited(kind=..., child=...)` on a
mapped class puts every write of its rows (through the ORM or a Core statement run on the
session) into the audit trail (app.privacy.audit), with the changed columns before and after.

The marker lives on the model itself, in the shared kernel, so that any slice may declare it
without importing the privacy slice: a new column of an audited model is audited, and so is a
new write path, without anyone remembering to."""

from __future__ import annotations

from dataclasses import dataclass

# Stored in place of a value that must never be copied into the trail (a codeword, a token):
# that it changed is recorded, what it is not.
REDACTED = "[redacted]"
# Book-keeping columns whose change alone is no change of the child's data.
NOT_AUDITED = frozenset({"created_at", "updated_at"})


@dataclass(frozen=True)
class Audited:
    """An audited model: the trail's `kind` of its rows, the attribute that names the child a
    row is about, and the columns whose values are redacted (`REDACTED`) or left out."""

    kind: str
    child: str = "child_id"
    redact: frozenset[str] = frozenset()
    ignore: frozenset[str] = NOT_AUDITED
