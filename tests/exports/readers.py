"""Read the exported files back with the libraries a user's spreadsheet stands for (csv, openpyxl, odfpy)."""

import csv
import io
import zipfile


def read_csv(content):
    """→ (rows as lists of text, whether the file starts with the UTF-8 BOM)."""
    has_bom = content.startswith(b"\xef\xbb\xbf")
    text = content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";")), has_bom


def read_xlsx(content):
    """→ rows of cell objects' values (dates come back as datetime), and the cells themselves."""
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(content))
    sheet = workbook.worksheets[0]
    cells = [list(row) for row in sheet.iter_rows()]
    return [[cell.value for cell in row] for row in cells], cells


def read_ods(content):
    """→ rows of (value type, value) per cell: ("date", "2026-12-01"), ("string", "RQ-…"), ("", "")."""
    from odf.namespaces import OFFICENS
    from odf.opendocument import load
    from odf.table import Table, TableCell, TableRow

    with zipfile.ZipFile(io.BytesIO(content)) as package:
        names = package.namelist()
        assert names[0] == "mimetype"
        assert package.read("mimetype") == b"application/vnd.oasis.opendocument.spreadsheet"
    document = load(io.BytesIO(content))
    table = document.spreadsheet.getElementsByType(Table)[0]
    rows = []
    for row in table.getElementsByType(TableRow):
        values = []
        for cell in row.getElementsByType(TableCell):
            kind = cell.attributes.get((OFFICENS, "value-type"), "")
            if kind == "date":
                values.append(("date", cell.attributes[(OFFICENS, "date-value")]))
            else:
                values.append((kind, "".join(str(node) for node in cell.childNodes)))
        rows.append(values)
    return rows
