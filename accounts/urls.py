from django.urls import include, path

from accounts import views

urlpatterns = [
    path("language/", views.set_language, name="set_language"),
    path("profile/", views.profile, name="account_profile"),
    path("contacts/", views.contacts, name="account_contacts"),
    path("contacts/<int:pk>/remove/", views.contact_remove, name="account_contact_remove"),
    path("contacts/<int:pk>/resend/", views.contact_resend, name="account_contact_resend"),
    path("contacts/confirm/<str:token>/", views.contact_confirm, name="account_contact_confirm"),
    path("", include("allauth.urls")),
]
