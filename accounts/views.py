from rest_framework import viewsets

auth_urlpatterns = []


class AddressViewSet(viewsets.GenericViewSet):
    pass


class UserAdminViewSet(viewsets.GenericViewSet):
    pass
