from django.urls import path

from incidents import views

app_name = "incidents"
urlpatterns = [
    path("", views.incident_list, name="list"),
    path("xlsx/", views.incident_xlsx, name="xlsx"),
    path("new/", views.incident_new, name="new"),
    path("<uuid:uuid>/", views.incident_detail, name="detail"),
    path("<uuid:uuid>/report/", views.report_new, name="report"),
    path("<uuid:uuid>/handling/", views.handling_new, name="handling"),
    path("<uuid:uuid>/close/", views.incident_close, name="close"),
    path("<uuid:uuid>/print/", views.incident_print, name="print"),
    path("reports/<uuid:uuid>/receive/", views.report_receive, name="receive"),
]
