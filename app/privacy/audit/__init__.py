"""The audit trail: every write to a child's data (day entries, presence, absences, pickup,
consents, custody, the roster, the child's record), with the changed columns before and
after, written in the transaction of the write itself; read by the institution's admins."""
