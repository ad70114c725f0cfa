"""The one JSON parser of the API (the default parser class in settings)."""

import codecs
import re

from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.settings import api_settings
from rest_framework.utils import json

# Valid JSON, but never a value: PostgreSQL refuses NUL in text, and a lone surrogate
# (`"\ud800"`) cannot be encoded as UTF-8 to be stored, hashed or sent on.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _check_storable(document) -> None:
    pending = [document]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            if _UNSTORABLE.search(value):
                raise ParseError(
                    "JSON parse error - strings may not contain NUL characters or unpaired "
                    "surrogates."
                )
        elif isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, except that no body can escape as anything but a 400: DRF turns
    ValueError (bad syntax, bad UTF-8, NaN) into a ParseError, but a deeply nested body
    (`[[[[...`) makes the decoder raise RecursionError, which would be a 500; and a string
    no field can hold (NUL, an unpaired surrogate) is refused here, whatever field it is in,
    before a view passes it to the database or an encoder."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        parse_constant = json.strict_constant if api_settings.STRICT_JSON else None
        try:
            document = json.load(codecs.getreader(encoding)(stream), parse_constant=parse_constant)
        except RecursionError:
            raise ParseError("JSON parse error - the document is nested too deeply.") from None
        except ValueError as exc:  # bad syntax, bad bytes for the charset, NaN
            raise ParseError(f"JSON parse error - {exc}") from None
        _check_storable(document)
        return document
