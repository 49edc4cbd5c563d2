"""GraphQL of the Art. 15 export: `myDataExports`, `requestMyDataExport`."""

from app.privacy.export.api.operations import DataExportMutations, DataExportQueries

__all__ = ["DataExportMutations", "DataExportQueries"]
