from django.urls import path

from outreach import views

app_name = "outreach_public"
urlpatterns = [
    path("", views.public_report, name="report"),
]
