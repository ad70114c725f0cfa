recommendation_urlpatterns = []
