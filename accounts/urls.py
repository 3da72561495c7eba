from django.urls import path

from accounts import views

urlpatterns = [
    path("profils/<int:pk>/", views.profile, name="profile"),
    path("compte/", views.account, name="account"),
    path("compte/donnees.json", views.download_data, name="account_data"),
    path("compte/supprimer/", views.delete_account, name="account_delete"),
    path("comptes-verifies/", views.verified_accounts, name="verified_accounts"),
    path("i18n/setlang/", views.set_language, name="set_language"),
]
