dashboard_urlpatterns = []
