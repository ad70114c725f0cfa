"""The interface every payment provider implements. Services speak only to it."""

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from decimal import Decimal

from payments.models import PaymentStatus


@dataclass(frozen=True)
class ProviderResult:
    """What a provider says about a payment attempt. `status` is a PaymentStatus value:
    succeeded / failed now, or pending until a webhook tells."""

    status: str
    reference: str = ""
    client_secret: str = ""
    failure_reason: str = ""


@dataclass(frozen=True)
class WebhookEvent:
    """A verified provider event, reduced to what the services need."""

    id: str
    type: str
    data: dict = field(default_factory=dict)
    payload: dict = field(default_factory=dict)


class PaymentProvider(ABC):
    name: str = ""

    @abstractmethod
    def create_payment(self, *, payment, token: str | None) -> ProviderResult:
        """Charge (or start charging) `payment.amount` in `payment.currency`. Raises
        BusinessValidationError for a bad token, ProviderTimeout, PaymentProviderError."""

    @abstractmethod
    def refund(self, *, payment, amount: Decimal) -> str:
        """Refund `amount` of a succeeded payment; returns the provider's refund reference.
        Raises PaymentProviderError."""

    def parse_webhook(self, *, payload: bytes, headers) -> WebhookEvent:
        """Verify and decode a webhook. Raises WebhookVerificationError."""
        raise NotImplementedError(f"The {self.name} provider has no webhooks.")


__all__ = ["PaymentProvider", "PaymentStatus", "ProviderResult", "WebhookEvent"]
