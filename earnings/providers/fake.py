"""A payout provider with no network, for local use and tests: the destination decides."""

import uuid

from earnings.providers.base import PayoutFailed, PayoutProvider, PayoutProviderUnavailable

# Destinations that make the fake provider fail, for trying the failure paths.
DESTINATION_REFUSED = "fake_refused"
DESTINATION_UNREACHABLE = "fake_unreachable"


class FakePayoutProvider(PayoutProvider):
    name = "fake"

    def transfer(self, *, payout, idempotency_key: str) -> str:
        if payout.destination == DESTINATION_REFUSED:
            raise PayoutFailed("account_closed")
        if payout.destination == DESTINATION_UNREACHABLE:
            raise PayoutProviderUnavailable("provider unreachable")
        # Deterministic per key, like a real provider's idempotent answer.
        return f"fake_tr_{uuid.uuid5(uuid.NAMESPACE_URL, idempotency_key).hex}"
