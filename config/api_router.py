"""The one router of the API, mounted at /api/v1/. Every app registers its ViewSets here."""

from rest_framework.routers import DefaultRouter

from accounts import views as accounts_views
from cart import views as cart_views
from catalog import views as catalog_views
from checkout import views as checkout_views
from conversations import views as conversations_views
from coupons import views as coupons_views
from dashboard import views as dashboard_views
from earnings import views as earnings_views
from payments import views as payments_views
from recommendations import views as recommendations_views
from reviews import views as reviews_views
from stores import views as stores_views
from wishlist import views as wishlist_views

router = DefaultRouter()
router.include_root_view = False

# accounts
router.register("users/me/addresses", accounts_views.AddressViewSet, basename="address")
router.register("users", accounts_views.UserAdminViewSet, basename="user")
# stores
router.register("stores", stores_views.StoreViewSet, basename="store")
# catalog
router.register("categories", catalog_views.CategoryViewSet, basename="category")
router.register("brands", catalog_views.BrandViewSet, basename="brand")
router.register("products", catalog_views.ProductViewSet, basename="product")
# earnings
router.register(
    "commission-rules", earnings_views.CommissionRuleViewSet, basename="commission-rule"
)
# orders and payments
router.register("orders", checkout_views.OrderViewSet, basename="order")
router.register(
    "seller/fulfilments", checkout_views.SellerFulfilmentViewSet, basename="seller-fulfilment"
)
router.register("payments", payments_views.PaymentViewSet, basename="payment")
# conversations
router.register("conversations", conversations_views.ConversationViewSet, basename="conversation")
# engagement
router.register("reviews", reviews_views.ReviewViewSet, basename="review")
router.register("coupons", coupons_views.CouponViewSet, basename="coupon")

app_name = "api"
urlpatterns = [
    *accounts_views.auth_urlpatterns,
    *stores_views.store_urlpatterns,
    *cart_views.cart_urlpatterns,
    *payments_views.webhook_urlpatterns,
    *earnings_views.earnings_urlpatterns,
    *wishlist_views.wishlist_urlpatterns,
    *dashboard_views.dashboard_urlpatterns,
    *recommendations_views.recommendation_urlpatterns,
    *conversations_views.conversation_urlpatterns,
    *router.urls,
]
