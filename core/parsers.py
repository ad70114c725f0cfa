"""The one JSON parser of the API (the default parser class in settings)."""

import codecs

from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.settings import api_settings
from rest_framework.utils import json


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, except that no body can escape as anything but a 400: DRF turns
    ValueError (bad syntax, bad UTF-8, NaN) into a ParseError, but a deeply nested body
    (`[[[[...`) makes the decoder raise RecursionError, which would be a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        parse_constant = json.strict_constant if api_settings.STRICT_JSON else None
        try:
            return json.load(codecs.getreader(encoding)(stream), parse_constant=parse_constant)
        except RecursionError:
            raise ParseError("JSON parse error - the document is nested too deeply.") from None
        except ValueError as exc:  # bad syntax, bad bytes for the charset, NaN
            raise ParseError(f"JSON parse error - {exc}") from None
