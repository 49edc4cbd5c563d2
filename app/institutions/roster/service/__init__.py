"""The roster import's use cases: reading a file, planning it, applying and exporting."""
