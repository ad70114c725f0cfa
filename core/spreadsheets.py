"""CSV for people who open it in a spreadsheet: cells that cannot run as formulas, and a
streamed answer that never holds a whole export in memory."""

import csv

from django.http import StreamingHttpResponse

# A spreadsheet runs a cell starting with one of these as a formula (CSV injection): names
# and descriptions come from sellers and customers, staff open the file.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def safe_cell(value) -> str:
    """The value as text, quoted with a leading ' when a spreadsheet would run it (a
    negative amount stays a number)."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_STARTS) and not _is_number(text):
        return "'" + text
    return text


class _Echo:
    def write(self, value):
        return value


def csv_response(*, filename: str, header: list[str], rows) -> StreamingHttpResponse:
    """A streamed CSV download of `rows` (iterables of values) under `header`."""
    writer = csv.writer(_Echo(), lineterminator="\r\n")

    def lines():
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow([safe_cell(value) for value in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
