from django.urls import include, path

from accounts import views

urlpatterns = [
    path("language/", views.set_language, name="set_language"),
    path("", include("allauth.urls")),
]
