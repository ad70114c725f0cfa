from rest_framework import viewsets


class CategoryViewSet(viewsets.GenericViewSet):
    pass


class BrandViewSet(viewsets.GenericViewSet):
    pass


class ProductViewSet(viewsets.GenericViewSet):
    pass
