"""Writes tests/data/accounts.xlsx and tests/data/accounts.ods by hand.

The files are written the way Excel and LibreOffice save them: each formula
cell keeps its last computed value, dates are serial numbers with a date
format (xlsx) or typed date cells (ods). No spreadsheet program is needed:
python3 tests/data/make_workbooks.py
"""

import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

HERE = Path(__file__).parent

# Sheet "Accounts": Id, Name, Latitude, Longitude, Revenue, Signed (date),
# Double (formula =Revenue*2 with its cached value).
ACCOUNTS = [
    ("A-100", "Acme Hardware", 40.7128, -74.006, 1200, 45382, 2400),
    ("A-101", "Bay Tools", 37.7749, -122.4194, 800.5, 45000, 1601),
    ("A-102", "Cedar Supply", 41.8781, -87.6298, 950, 44927, 1900),
]
# Sheet "Airports": no id column, `iata` is unique.
AIRPORTS = [
    ("BOS", "Logan International", 42.3656, -71.0096),
    ("ORD", "O'Hare International", 41.9742, -87.9073),
]


def col(i):
    return "ABCDEFGHIJ"[i]


def xlsx_cell(ref, v, style=None, formula=None):
    s = f' s="{style}"' if style is not None else ""
    if formula:
        return f'<c r="{ref}"{s}><f>{formula}</f><v>{v}</v></c>'
    if isinstance(v, str):
        return f'<c r="{ref}" t="inlineStr"><is><t>{escape(v)}</t></is></c>'
    return f'<c r="{ref}"{s}><v>{v}</v></c>'


def xlsx_sheet(header, rows, special):
    out = ['<?xml version="1.0" encoding="UTF-8"?>'
           '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>']
    out.append('<row r="1">' + "".join(xlsx_cell(f"{col(i)}1", h) for i, h in enumerate(header)) + "</row>")
    for r, row in enumerate(rows, start=2):
        cells = []
        for i, v in enumerate(row):
            style, formula = special.get(i, (None, None))
            f = formula.format(r=r) if formula else None
            cells.append(xlsx_cell(f"{col(i)}{r}", v, style, f))
        out.append(f'<row r="{r}">' + "".join(cells) + "</row>")
    out.append("</sheetData></worksheet>")
    return "".join(out)


def write_xlsx(path):
    ns = "http://schemas.openxmlformats.org"
    files = {
        "[Content_Types].xml": f'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="{ns}/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/worksheets/sheet2.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        "</Types>",
        "_rels/.rels": f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{ns}/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{ns}/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>",
        "xl/workbook.xml": f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{ns}/spreadsheetml/2006/main" '
        f'xmlns:r="{ns}/officeDocument/2006/relationships"><sheets>'
        '<sheet name="Accounts" sheetId="1" r:id="rId1"/><sheet name="Airports" sheetId="2" r:id="rId2"/>'
        "</sheets></workbook>",
        "xl/_rels/workbook.xml.rels": f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{ns}/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{ns}/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{ns}/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet2.xml"/>'
        f'<Relationship Id="rId3" Type="{ns}/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
        "</Relationships>",
        "xl/styles.xml": f'<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="{ns}/spreadsheetml/2006/main">'
        '<fonts count="1"><font/></fonts><fills count="1"><fill/></fills><borders count="1"><border/></borders>'
        '<cellStyleXfs count="1"><xf/></cellStyleXfs>'
        '<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs>'
        "</styleSheet>",
        "xl/worksheets/sheet1.xml": xlsx_sheet(
            ["Id", "Name", "Latitude", "Longitude", "Revenue", "Signed", "Double"],
            ACCOUNTS,
            {5: (1, None), 6: (None, "E{r}*2")},
        ),
        "xl/worksheets/sheet2.xml": xlsx_sheet(["iata", "name", "latitude", "longitude"], AIRPORTS, {}),
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in files.items():
            z.writestr(name, text)


def ods_cell(v, kind=None, formula=None):
    if kind == "date":
        return f'<table:table-cell office:value-type="date" office:date-value="{v}"><text:p>{v}</text:p></table:table-cell>'
    if formula:
        return (f'<table:table-cell table:formula="{formula}" office:value-type="float" office:value="{v}">'
                f"<text:p>{v}</text:p></table:table-cell>")
    if isinstance(v, str):
        return f'<table:table-cell office:value-type="string"><text:p>{escape(v)}</text:p></table:table-cell>'
    return f'<table:table-cell office:value-type="float" office:value="{v}"><text:p>{v}</text:p></table:table-cell>'


def serial_to_iso(serial):
    import datetime
    return (datetime.date(1899, 12, 30) + datetime.timedelta(days=serial)).isoformat()


def write_ods(path):
    rows = ['<table:table-row>' + "".join(ods_cell(h) for h in
            ["Id", "Name", "Latitude", "Longitude", "Revenue", "Signed", "Double"]) + "</table:table-row>"]
    for r, (i, n, la, lo, rev, signed, dbl) in enumerate(ACCOUNTS, start=2):
        rows.append("<table:table-row>" + "".join([
            ods_cell(i), ods_cell(n), ods_cell(la), ods_cell(lo), ods_cell(rev),
            ods_cell(serial_to_iso(signed), "date"), ods_cell(dbl, formula=f"of:=[.E{r}]*2"),
        ]) + "</table:table-row>")
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="Accounts">'
        + "".join(rows)
        + "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        z.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
        z.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)


if __name__ == "__main__":
    write_xlsx(HERE / "accounts.xlsx")
    write_ods(HERE / "accounts.ods")
