"""Deployment checks of the project (`manage.py check --deploy`)."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

W_FAKE_PROVIDER = "core.W001"
E_FAKE_PROVIDER = "core.E001"
W_NO_SHARED_CACHE = "core.W002"


def _fake_providers() -> list[str]:
    found = []
    if "fake" in settings.PAYMENT_PROVIDERS:
        found.append("payments (PAYMENT_PROVIDERS)")
    if settings.PAYOUT_PROVIDER == "fake":
        found.append("payouts (PAYOUT_PROVIDER)")
    return found


@register(Tags.security, deploy=True)
def fake_providers_check(app_configs, **kwargs):
    """The fake providers let any customer mark an order paid, and mark payouts paid that
    were never sent: never in production."""
    fakes = _fake_providers()
    if not fakes or settings.DEBUG:
        return []  # DEBUG itself is reported by Django's own deploy checks
    which = " and ".join(fakes)
    if settings.PAYMENTS_ALLOW_FAKE_PROVIDER_UNSAFE:
        return [
            Warning(
                f"Fake providers are enabled for {which} (PAYMENTS_ALLOW_FAKE_PROVIDER_UNSAFE): "
                "orders can be marked paid without paying and payouts without money sent.",
                hint="Only for staging. Use stripe in production.",
                id=W_FAKE_PROVIDER,
            )
        ]
    return [
        Error(
            f"Fake providers are enabled for {which} with DEBUG off.",
            hint="Use stripe for payments and payouts.",
            id=E_FAKE_PROVIDER,
        )
    ]


@register(Tags.caches, deploy=True)
def shared_cache_check(app_configs, **kwargs):
    """Without Redis every process keeps its own cache: a write bumps the catalog's versions
    in its own process only, so another worker goes on serving its cached answers and kept
    counts until they time out, and throttles count per process."""
    if settings.DEBUG or settings.REDIS_URL:
        return []
    return [
        Warning(
            "REDIS_URL is not set: each process caches on its own. With more than one "
            "worker, a write shows in the other workers' cached catalog answers and counts "
            f"only after CATALOG_CACHE_SECONDS ({settings.CATALOG_CACHE_SECONDS} s), and "
            "throttles count per process.",
            hint="Set REDIS_URL (one Redis shared by every process and instance).",
            id=W_NO_SHARED_CACHE,
        )
    ]
