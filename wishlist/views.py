wishlist_urlpatterns = []
