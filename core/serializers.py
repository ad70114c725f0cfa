from rest_framework import serializers

from core.exceptions import ErrorCode


class ErrorSerializer(serializers.Serializer):
    """The shape of every error answer (SPEC section 4)."""

    code = serializers.ChoiceField(
        choices=ErrorCode.choices, help_text="Machine-readable error code, e.g. `not_found`."
    )
    detail = serializers.CharField(help_text="Human-readable explanation.")


class ValidationErrorSerializer(ErrorSerializer):
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per field; `non_field_errors` for errors of the whole input.",
    )
