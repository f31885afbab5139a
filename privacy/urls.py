from django.urls import path

from privacy import views

app_name = "privacy"
urlpatterns = [
    path("", views.data, name="data"),
    path("export/", views.export_request, name="export_request"),
    path("export/<uuid:token>/", views.export_download, name="export_download"),
    path("erase/", views.erase_request, name="erase_request"),
    path("erase/<str:token>/", views.erase_confirm, name="erase_confirm"),
]
