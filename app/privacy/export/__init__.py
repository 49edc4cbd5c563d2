"""The Art. 15 export: a person's copy of their data (and, for custody holders, their
children's) as one ZIP in object storage, built by the worker, announced by notification,
downloadable through a signed link for seven days and deleted after that."""
