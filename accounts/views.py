"""Accounts API: registration, tokens, password reset, the caller's own account and
addresses, and staff management of users. Views parse, authorize, call a service and
serialize; the rules live in accounts/services.py."""

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import filters, mixins, status, viewsets
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework_simplejwt import views as jwt_views
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer

from accounts.filters import UserFilter
from accounts.lockout import (
    LoginAccountThrottle,
    login_allowed_or_raise,
    login_failures_clear,
    login_username,
)
from accounts.models import Address, User
from accounts.selectors import address_list_for, user_list
from accounts.serializers import (
    AddressSerializer,
    AdminUserCreateInput,
    AdminUserSerializer,
    LogoutInput,
    PasswordChangeInput,
    PasswordResetConfirmInput,
    PasswordResetInput,
    RegisterInput,
    TokenRefreshInput,
    UserSerializer,
)
from accounts.services import (
    address_create,
    address_delete,
    address_update,
    password_reset_confirm,
    password_reset_request,
    profile_update,
    refresh_token_revoke,
    refresh_token_rotate,
    user_change_password,
    user_close,
    user_create,
    user_deactivate,
    user_update,
)
from core.filters import OrderingFilter
from core.mixins import ServiceViewMixin
from core.parsers import JSONParser
from core.permissions import IsStaff
from core.serializers import ErrorSerializer

_BAD_TOKEN = OpenApiResponse(ErrorSerializer, description="Invalid, expired or revoked token.")
_BAD_CREDENTIALS = OpenApiResponse(
    ErrorSerializer, description="Wrong email or password, or a deactivated account."
)


class PublicAuthView(ServiceViewMixin, GenericAPIView):
    """An endpoint used without an access token: a stale Authorization header is ignored
    instead of failing the request, so throttles key on the client address."""

    authentication_classes = []
    permission_classes = [AllowAny]

    def get_authenticate_header(self, request):
        # With no authenticator DRF would turn a refused token into a 403; it is a 401.
        return 'Bearer realm="api"'


# --- auth -----------------------------------------------------------------------------


class RegisterView(PublicAuthView):
    serializer_class = RegisterInput
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "register"

    @extend_schema(
        request=RegisterInput,
        responses={201: UserSerializer},
        summary="Create an account",
        examples=[
            OpenApiExample(
                "A new customer",
                request_only=True,
                value={"email": "ada@example.com", "password": "Correct-horse-42"},
            ),
        ],
    )
    def post(self, request):
        user = user_create(**self.validated_input())
        return self.answer(user, status.HTTP_201_CREATED, serializer_class=UserSerializer)


class TokenObtainView(jwt_views.TokenObtainPairView):
    # Per address (`login`) and per account (`login_account`); on top, repeated wrong
    # passwords lock the account and the address out (accounts.lockout).
    throttle_classes = [ScopedRateThrottle, LoginAccountThrottle]
    throttle_scope = "login"

    @extend_schema(
        responses={
            200: TokenObtainPairSerializer,
            401: _BAD_CREDENTIALS,
            429: OpenApiResponse(
                ErrorSerializer,
                description="`throttled`: too many attempts, or this account or address is "
                "locked out after repeated wrong passwords (see Retry-After).",
            ),
        },
        summary="Log in: exchange email and password for access and refresh tokens",
        examples=[
            OpenApiExample(
                "Credentials",
                request_only=True,
                value={"email": "customer@example.com", "password": "Demo-customer-2026"},
            ),
            OpenApiExample(
                "Tokens",
                response_only=True,
                status_codes=["200"],
                value={
                    "access": "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjoi…",
                    "refresh": "eyJhbGciOi…",
                },
            ),
        ],
    )
    def post(self, request, *args, **kwargs):
        email = login_username(request)
        if email:  # without one the input is a 400 anyway
            login_allowed_or_raise(request=request, email=email)
        response = super().post(request, *args, **kwargs)
        login_failures_clear(email=email)  # reached only with the right password
        return response


class TokenRefreshView(ServiceViewMixin, jwt_views.TokenRefreshView):
    serializer_class = TokenRefreshInput

    @extend_schema(
        responses={200: TokenRefreshInput, 401: _BAD_TOKEN},
        summary="Exchange a refresh token for a new access and refresh token (rotation)",
    )
    def post(self, request, *args, **kwargs):
        token = self.validated_input()["refresh"]
        return Response(refresh_token_rotate(token=token))


class LogoutView(PublicAuthView):
    serializer_class = LogoutInput

    @extend_schema(
        request=LogoutInput,
        responses={204: None, 401: _BAD_TOKEN},
        summary="Log out: revoke a refresh token",
    )
    def post(self, request):
        refresh_token_revoke(token=self.validated_input()["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordResetView(PublicAuthView):
    serializer_class = PasswordResetInput
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "password_reset"

    @extend_schema(
        request=PasswordResetInput,
        responses={204: None},
        summary="Email a password reset link (answers 204 whether or not the email exists)",
    )
    def post(self, request):
        password_reset_request(email=self.validated_input()["email"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordResetConfirmView(PublicAuthView):
    serializer_class = PasswordResetConfirmInput
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    @extend_schema(
        request=PasswordResetConfirmInput,
        responses={204: None},
        summary="Choose a new password with the uid and token from the reset email",
    )
    def post(self, request):
        password_reset_confirm(**self.validated_input())
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- the caller's own account ---------------------------------------------------------


class MeView(ServiceViewMixin, GenericAPIView):
    serializer_class = UserSerializer
    permission_classes = [IsAuthenticated]
    # The avatar is an image upload: multipart as well as JSON.
    parser_classes = [JSONParser, MultiPartParser]

    @extend_schema(summary="The caller's account and profile")
    def get(self, request):
        return self.answer(request.user)

    @extend_schema(summary="Update the caller's profile (JSON, or multipart with `profile.avatar`)")
    def patch(self, request):
        data = self.validated_input(instance=request.user, partial=True)
        profile_data = data.get("profile")
        if profile_data:
            profile_update(profile=request.user.profile, **profile_data)
        return self.answer(request.user)

    @extend_schema(
        responses={204: None},
        summary="Close the caller's account (deactivated and logged out everywhere)",
    )
    def delete(self, request):
        user_close(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordChangeView(ServiceViewMixin, GenericAPIView):
    serializer_class = PasswordChangeInput
    permission_classes = [IsAuthenticated]
    # Keyed on the user: a stolen access token must not brute-force the old password.
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    @extend_schema(
        request=PasswordChangeInput,
        responses={204: None},
        summary="Change the caller's password (every existing token is revoked)",
    )
    def post(self, request):
        user_change_password(user=request.user, **self.validated_input())
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(summary="The caller's addresses, the default first"),
    retrieve=extend_schema(summary="One of the caller's addresses"),
    create=extend_schema(summary="Add an address (the first one is the default)"),
    update=extend_schema(summary="Replace one of the caller's addresses"),
    partial_update=extend_schema(summary="Change some fields of one of the caller's addresses"),
    destroy=extend_schema(summary="Delete one of the caller's addresses"),
)
class AddressViewSet(viewsets.ModelViewSet):
    """The caller's shipping addresses. At most one is the default."""

    serializer_class = AddressSerializer
    permission_classes = [IsAuthenticated]
    # Default first, then newest: `?ordering=` is refused rather than ignored.
    filter_backends = [OrderingFilter]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Address.objects.none()
        return address_list_for(user=self.request.user)

    def perform_create(self, serializer):
        serializer.instance = address_create(user=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = address_update(
            address=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        address_delete(address=instance)


# --- staff ----------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List users (staff)"),
    retrieve=extend_schema(summary="Show a user (staff)"),
    create=extend_schema(
        request=AdminUserCreateInput,
        responses={201: AdminUserSerializer},
        summary="Create a user (staff; only a superuser may create staff)",
    ),
    partial_update=extend_schema(
        summary="Change a user's status, roles or profile (staff; staff roles: superuser)"
    ),
    destroy=extend_schema(responses={204: None}, summary="Deactivate a user (staff)"),
)
class UserAdminViewSet(
    ServiceViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Staff management of accounts. Deleting deactivates: orders keep their customer."""

    serializer_class = AdminUserSerializer
    permission_classes = [IsStaff]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    filter_backends = [DjangoFilterBackend, filters.SearchFilter, OrderingFilter]
    filterset_class = UserFilter
    search_fields = ["email"]
    ordering_fields = ["email", "date_joined", "last_login"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return User.objects.none()
        return user_list()

    def get_serializer_class(self):
        if self.action == "create":
            return AdminUserCreateInput
        return AdminUserSerializer

    def create(self, request, *args, **kwargs):
        user = user_create(by=request.user, **self.validated_input())
        return self.answer(user, status.HTTP_201_CREATED, serializer_class=AdminUserSerializer)

    def partial_update(self, request, *args, **kwargs):
        user = self.get_object()
        data = self.validated_input(instance=user, partial=True)
        profile_data = data.pop("profile", None)
        user_update(user=user, by=request.user, **data)
        if profile_data:
            profile_update(profile=user.profile, **profile_data)
        return self.answer(user)

    def destroy(self, request, *args, **kwargs):
        user_deactivate(user=self.get_object(), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
