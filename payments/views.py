from rest_framework import viewsets

webhook_urlpatterns = []


class PaymentViewSet(viewsets.GenericViewSet):
    pass
