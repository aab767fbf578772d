from django.urls import path

from settlement import views

app_name = "settlement"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("episodes/<uuid:uuid>/apply/", views.apply, name="apply"),
    path("<uuid:uuid>/", views.case_detail, name="detail"),
    path("<uuid:uuid>/plan/", views.plan, name="plan"),
    path("<uuid:uuid>/decide/", views.decide, name="decide"),
    path("<uuid:uuid>/place/", views.place, name="place"),
    path("<uuid:uuid>/long-term/", views.long_term, name="long_term"),
    path("<uuid:uuid>/hukou/", views.hukou, name="hukou"),
    path("<uuid:uuid>/enrol/", views.enrol, name="enrol"),
    path("<uuid:uuid>/return-home/", views.return_home, name="return_home"),
    path("<uuid:uuid>/cancel-hukou/", views.cancel_hukou, name="cancel_hukou"),
    path("<uuid:uuid>/withdraw/", views.withdraw, name="withdraw"),
    path("<uuid:uuid>/print/", views.print_application, name="print"),
    path("steps/<uuid:uuid>/document/", views.step_document, name="document"),
]
