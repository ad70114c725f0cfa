"""The interface every payout provider implements. Services speak only to it."""

from abc import ABC, abstractmethod
from dataclasses import dataclass, field


class PayoutFailed(Exception):
    """The provider refused the transfer for good (no account, account closed...): the
    amount goes back to the store's available balance."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


class PayoutProviderUnavailable(Exception):
    """The provider could not be reached or answered an error that may pass: the payout
    stays processing and the next run sends it again (with the same idempotency key)."""


@dataclass(frozen=True)
class PayoutProviderEvent:
    """A verified provider event, reduced to what the services need."""

    id: str
    type: str
    data: dict = field(default_factory=dict)
    payload: dict = field(default_factory=dict)


class PayoutProvider(ABC):
    name: str = ""

    @abstractmethod
    def transfer(self, *, payout, idempotency_key: str) -> str:
        """Send `payout.amount` in `payout.currency` to `payout.destination`; returns the
        provider's reference. Raises PayoutFailed, PayoutProviderUnavailable."""

    def parse_webhook(self, *, payload: bytes, headers) -> PayoutProviderEvent:
        """Verify and decode a webhook. Raises WebhookVerificationError."""
        raise NotImplementedError(f"The {self.name} payout provider has no webhooks.")
