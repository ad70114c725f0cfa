cart_urlpatterns = []
