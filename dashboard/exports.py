"""The metrics answer as CSV: one `section,key,value` row per figure, flattened from the
very data the JSON answer shows, so both always agree."""

import csv
import io

from core.spreadsheets import safe_cell

HEADER = ("section", "key", "value")


def _flatten(value, key: str):
    """(dotted key, leaf) pairs; list items are numbered from 1 (their rank)."""
    if isinstance(value, dict):
        for name, child in value.items():
            yield from _flatten(child, f"{key}.{name}" if key else str(name))
    elif isinstance(value, list | tuple):
        for position, child in enumerate(value, start=1):
            yield from _flatten(child, f"{key}.{position}" if key else str(position))
    else:
        yield key, value


def metrics_csv(data: dict) -> str:
    """The serialized metrics (MetricsSerializer(...).data) as CSV text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    for section, value in data.items():
        for key, leaf in _flatten(value, ""):
            writer.writerow((section, safe_cell(key), safe_cell(leaf)))
    return buffer.getvalue()
