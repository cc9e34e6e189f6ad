"""The export formats offered to agents: CSV (French spreadsheet conventions), ODS and XLSX."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Format:
    code: str
    label: str
    extension: str
    content_type: str


CSV = Format("csv", "CSV", "csv", "text/csv; charset=utf-8")
ODS = Format("ods", "ODS", "ods", "application/vnd.oasis.opendocument.spreadsheet")
XLSX = Format("xlsx", "XLSX", "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

FORMATS = (CSV, ODS, XLSX)
BY_CODE = {format.code: format for format in FORMATS}
