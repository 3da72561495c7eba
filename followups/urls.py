from django.urls import path

from followups import views

urlpatterns = [
    path("suivre/<str:kind>/<int:pk>/", views.follow, name="follow"),
    path("compte/notifications/", views.notification_settings, name="notification_settings"),
    path("desabonnement/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
