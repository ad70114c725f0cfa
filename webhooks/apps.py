from django.apps import AppConfig

from webhooks import checks  # noqa: F401  (registers the deployment checks)


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self):
        from webhooks import services

        services.subscribe_to_domain_events()
