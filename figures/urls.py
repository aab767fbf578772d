from django.urls import path

from figures import views

app_name = "figures"
urlpatterns = [
    path("", views.home, name="home"),
    path("people/", views.people, name="people"),
    path("refresh/", views.refresh, name="refresh"),
    path("reports/", views.reports, name="reports"),
    path("reports/<uuid:uuid>/", views.report_detail, name="report"),
    path("reports/<uuid:uuid>/regenerate/", views.report_regenerate, name="report_regenerate"),
    path("reports/<uuid:uuid>/review/", views.report_review, name="report_review"),
    path("reports/<uuid:uuid>/reopen/", views.report_reopen, name="report_reopen"),
    path("reports/<uuid:uuid>/submit/", views.report_submit, name="report_submit"),
    path("reports/<uuid:uuid>/acknowledge/", views.report_acknowledge, name="report_acknowledge"),
    path("reports/<uuid:uuid>/return/", views.report_return, name="report_return"),
    path("submissions/<uuid:uuid>/", views.submission_detail, name="submission"),
]
