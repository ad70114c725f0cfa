from rest_framework import viewsets


class OrderViewSet(viewsets.GenericViewSet):
    pass
