"""A provider with no network, for local use and tests: the token decides the outcome."""

import uuid
from decimal import Decimal

from core.exceptions import BusinessValidationError
from payments.exceptions import ProviderTimeout
from payments.models import PaymentStatus
from payments.providers.base import PaymentProvider, ProviderResult

TOKEN_SUCCESS = "tok_success"
TOKEN_DECLINE = "tok_decline"
TOKEN_TIMEOUT = "tok_timeout"
TOKENS = (TOKEN_SUCCESS, TOKEN_DECLINE, TOKEN_TIMEOUT)


class FakeProvider(PaymentProvider):
    name = "fake"

    def create_payment(self, *, payment, token: str | None) -> ProviderResult:
        token = token or TOKEN_SUCCESS
        if token == TOKEN_SUCCESS:
            return ProviderResult(
                status=PaymentStatus.SUCCEEDED, reference=f"fake_ch_{uuid.uuid4().hex}"
            )
        if token == TOKEN_DECLINE:
            return ProviderResult(
                status=PaymentStatus.FAILED,
                reference=f"fake_ch_{uuid.uuid4().hex}",
                failure_reason="card_declined",
            )
        if token == TOKEN_TIMEOUT:
            raise ProviderTimeout("provider_timeout")
        raise BusinessValidationError(
            {"token": [f"Unknown test token; use one of: {', '.join(TOKENS)}."]}
        )

    def refund(self, *, payment, amount: Decimal) -> str:
        return f"fake_re_{uuid.uuid4().hex}"
