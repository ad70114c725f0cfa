from rest_framework import viewsets


class ReviewViewSet(viewsets.GenericViewSet):
    pass
