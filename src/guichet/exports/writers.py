"""Spreadsheet writers that stream rows to a file: CSV, XLSX (openpyxl write-only), ODS (odfpy).

    with writer_for("xlsx", path, sheet_title="Demandes") as writer:
        writer.write_header(headers)
        writer.write_rows(rows)      # as many times as there are batches

Cells are `str`, `datetime.date`, `datetime.datetime` (naive, local time), numbers or None. No writer keeps the
rows in memory: the CSV and XLSX writers append to their file, the ODS writer streams the table's rows into the
`content.xml` of the package odfpy produced.

Text that a spreadsheet would run as a formula (starting with = + - @, or a tab or carriage return) is
prefixed with an apostrophe in every format (`safe_text`).
"""

import codecs
import csv
import datetime
import io
import re
import zipfile
from xml.sax.saxutils import escape, quoteattr

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "%d/%m/%Y"
DATETIME_FORMAT = "%d/%m/%Y %H:%M"


# Control characters that XML 1.0 (XLSX, ODS) cannot hold at all.
ILLEGAL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def safe_text(value):
    """Text that cannot be taken for a formula by a spreadsheet (CSV/formula injection), without the control
    characters no spreadsheet file can hold."""
    text = ILLEGAL_CHARACTERS.sub("", str(value))
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


class CsvWriter:
    """UTF-8 with BOM, « ; » separator, dates dd/mm/yyyy: what French Excel and LibreOffice open as is."""

    def __init__(self, path, sheet_title=""):
        self.file = open(path, "w", encoding="utf-8", newline="")
        self.file.write(codecs.BOM_UTF8.decode("utf-8"))
        self.csv = csv.writer(self.file, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")

    def cell(self, value):
        if value is None:
            return ""
        if isinstance(value, datetime.datetime):
            return value.strftime(DATETIME_FORMAT)
        if isinstance(value, datetime.date):
            return value.strftime(DATE_FORMAT)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value).replace(".", ",")
        return safe_text(value)

    def write_header(self, headers):
        self.csv.writerow([self.cell(str(header)) for header in headers])

    def write_rows(self, rows):
        self.csv.writerows([self.cell(value) for value in row] for row in rows)

    def close(self):
        self.file.close()


class XlsxWriter:
    """openpyxl in write-only mode (rows go to disk as they come), real dates with French number formats."""

    def __init__(self, path, sheet_title=""):
        from openpyxl import Workbook

        self.path = path
        self.workbook = Workbook(write_only=True)
        self.sheet = self.workbook.create_sheet(title=(sheet_title or "Feuille1")[:31])

    def cell(self, value):
        from openpyxl.cell import WriteOnlyCell

        if value is None:
            return None
        if isinstance(value, datetime.datetime):
            cell = WriteOnlyCell(self.sheet, value=value)
            cell.number_format = "DD/MM/YYYY HH:MM"
            return cell
        if isinstance(value, datetime.date):
            cell = WriteOnlyCell(self.sheet, value=value)
            cell.number_format = "DD/MM/YYYY"
            return cell
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
        # Plain text (openpyxl makes the cell): once through safe_text it cannot start with « = », so openpyxl
        # never takes it for a formula.
        return safe_text(value)

    def write_header(self, headers):
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font

        cells = []
        for header in headers:
            cell = WriteOnlyCell(self.sheet, value=safe_text(header))
            cell.font = Font(bold=True)
            cells.append(cell)
        self.sheet.freeze_panes = "A2"
        self.sheet.append(cells)

    def write_rows(self, rows):
        for row in rows:
            self.sheet.append([self.cell(value) for value in row])

    def close(self):
        self.workbook.save(self.path)


class OdsWriter:
    """odfpy builds the package (manifest, styles with the date formats, meta, and the table with its header
    row); the data rows are streamed into the table of `content.xml` inside the zip, in the XML odfpy writes
    for such cells (escaped text, dates as office:date-value with the dd/mm/yyyy style)."""

    TABLE_END = "</table:table>"

    def __init__(self, path, sheet_title=""):
        from odf.opendocument import OpenDocumentSpreadsheet
        from odf.style import Style, TableColumnProperties, TextProperties
        from odf.number import DateStyle, Day, Hours, Minutes, Month, Text, Year
        from odf.table import Table

        self.path = path
        self.doc = OpenDocumentSpreadsheet()
        date_style = DateStyle(name="date-fr")
        for part in (Day(style="long"), Text(text="/"), Month(style="long"), Text(text="/"), Year(style="long")):
            date_style.addElement(part)
        datetime_style = DateStyle(name="datetime-fr")
        for part in (Day(style="long"), Text(text="/"), Month(style="long"), Text(text="/"), Year(style="long"),
                     Text(text=" "), Hours(style="long"), Text(text=":"), Minutes(style="long")):
            datetime_style.addElement(part)
        self.doc.automaticstyles.addElement(date_style)
        self.doc.automaticstyles.addElement(datetime_style)
        self.date_cell = Style(name="cell-date", family="table-cell", datastylename="date-fr")
        self.datetime_cell = Style(name="cell-datetime", family="table-cell", datastylename="datetime-fr")
        self.header_cell = Style(name="cell-header", family="table-cell")
        self.header_cell.addElement(TextProperties(fontweight="bold"))
        self.column = Style(name="column", family="table-column")
        self.column.addElement(TableColumnProperties(columnwidth="3.5cm"))
        for style in (self.date_cell, self.datetime_cell, self.header_cell, self.column):
            self.doc.automaticstyles.addElement(style)
        self.table = Table(name=(sheet_title or "Feuille1"))
        self.doc.spreadsheet.addElement(self.table)
        self.zip = None
        self.content = None
        self.suffix = ""

    def _cell(self, value, style=None):
        """An odfpy cell (the header row, which odfpy writes with the rest of its document)."""
        from odf.table import TableCell
        from odf.text import P

        cell = TableCell(valuetype="string", stylename=style) if style else TableCell(valuetype="string")
        cell.addElement(P(text=safe_text(value)))
        return cell

    def _row(self, values, style=None):
        from odf.table import TableRow

        row = TableRow()
        for value in values:
            row.addElement(self._cell(value, style))
        return row

    @staticmethod
    def cell_xml(value):
        """The XML of one data cell, as odfpy writes it (its element classes cost 20 times more per cell)."""
        if value is None or value == "":
            return "<table:table-cell/>"
        if isinstance(value, datetime.datetime):
            return (f'<table:table-cell office:value-type="date" office:date-value="{value:%Y-%m-%dT%H:%M:%S}" '
                    f'table:style-name="cell-datetime"><text:p>{value.strftime(DATETIME_FORMAT)}</text:p>'
                    "</table:table-cell>")
        if isinstance(value, datetime.date):
            return (f'<table:table-cell office:value-type="date" office:date-value="{value.isoformat()}" '
                    f'table:style-name="cell-date"><text:p>{value.strftime(DATE_FORMAT)}</text:p></table:table-cell>')
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return (f'<table:table-cell office:value-type="float" office:value={quoteattr(repr(value))}>'
                    f"<text:p>{value}</text:p></table:table-cell>")
        return f'<table:table-cell office:value-type="string"><text:p>{escape(safe_text(value))}</text:p></table:table-cell>'

    def write_header(self, headers):
        from odf.table import TableColumn

        self.table.addElement(TableColumn(numbercolumnsrepeated=len(headers), stylename=self.column))
        self.table.addElement(self._row([str(header) for header in headers], self.header_cell))
        self._start()

    def _start(self):
        """Write the package odfpy made, except content.xml, then open content.xml up to the table's end."""
        package = io.BytesIO()
        self.doc.write(package)
        package.seek(0)
        self.zip = zipfile.ZipFile(self.path, "w", compression=zipfile.ZIP_DEFLATED)
        with zipfile.ZipFile(package) as made:
            for info in made.infolist():
                if info.filename == "content.xml":
                    content = made.read(info).decode("utf-8")
                    continue
                self.zip.writestr(info, made.read(info))
        end = content.rindex(self.TABLE_END)
        self.suffix = content[end:]
        self.content = io.TextIOWrapper(self.zip.open("content.xml", "w", force_zip64=True), encoding="utf-8")
        self.content.write(content[:end])

    def write_rows(self, rows):
        cell_xml = self.cell_xml
        self.content.write("".join(
            "<table:table-row>" + "".join(cell_xml(value) for value in values) + "</table:table-row>" for values in rows
        ))

    def close(self):
        if self.zip is None:
            self._start()
        self.content.write(self.suffix)
        self.content.close()
        self.zip.close()


WRITERS = {"csv": CsvWriter, "xlsx": XlsxWriter, "ods": OdsWriter}


class writer_for:  # noqa: N801 — used as a context manager
    """Context manager giving the writer of `code`, closed (file finished) on a clean exit."""

    def __init__(self, code, path, sheet_title=""):
        self.writer = WRITERS[code](path, sheet_title=sheet_title)

    def __enter__(self):
        return self.writer

    def __exit__(self, exc_type, exc, traceback):
        if exc_type is None:
            self.writer.close()
        else:
            try:
                self.writer.close()
            except Exception:  # the file is thrown away anyway
                pass
        return False
