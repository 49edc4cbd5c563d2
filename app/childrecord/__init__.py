"""The child's record (GDPR Art. 9 health data): allergies and diet, doctor, emergency
contacts, notes for staff and medication consents. Every read goes through
app.childrecord.service.record.read_child_record."""
