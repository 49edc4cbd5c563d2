"""Roster import and export (issue 16): an institution's children and their guardians from
the municipality's CSV (pladsanvisning, Aula/UNI-login look-alikes), planned as a dry run,
then applied exactly as planned in one transaction; and the same columns exported."""
