"""The group's contact list (kontaktliste): what each guardian chose to show the other
guardians of their child's group."""
