from rest_framework import viewsets


class CouponViewSet(viewsets.GenericViewSet):
    pass
