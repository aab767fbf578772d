from django.urls import path

from deadlines import views

app_name = "deadlines"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("overview/", views.overview, name="overview"),
    path("rules/", views.rules, name="rules"),
    path("calendar/", views.calendar, name="calendar"),
    path("notifications/<uuid:uuid>/read/", views.notification_read, name="notification_read"),
]
