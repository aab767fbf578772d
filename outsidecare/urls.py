from django.urls import path

from outsidecare import views

app_name = "outsidecare"

urlpatterns = [
    path("", views.home, name="home"),
    path("agreements/", views.agreement_list, name="agreement_list"),
    path("agreements/new/", views.agreement_new, name="agreement_new"),
    path("agreements/<uuid:uuid>/", views.agreement_detail, name="agreement"),
    path("agreements/<uuid:uuid>/document/", views.agreement_document, name="agreement_document"),
    path("agreements/<uuid:uuid>/terminate/", views.agreement_terminate, name="agreement_terminate"),
    path("agreements/<uuid:uuid>/postings/new/", views.posting_new, name="posting_new"),
    path("agreements/<uuid:uuid>/report/", views.facility_report_new, name="facility_report_new"),
    path("agreements/<uuid:uuid>/inspect/", views.inspect, name="inspect"),
    path("postings/<uuid:uuid>/end/", views.posting_end, name="posting_end"),
    path("visits/", views.visit_list, name="visit_list"),
    path("visits/<uuid:uuid>/", views.visit_detail, name="visit"),
    path("photos/<uuid:uuid>/", views.visit_photo, name="visit_photo"),
    path("placements/<uuid:uuid>/", views.placement_detail, name="placement"),
    path("placements/<uuid:uuid>/visit/", views.visit_new, name="visit_new"),
    path("placements/<uuid:uuid>/report/", views.condition_report_new, name="condition_report_new"),
    path("reports/", views.report_list, name="report_list"),
    path("bringback/", views.plan_list, name="plan_list"),
    path("bringback/new/", views.plan_new, name="plan_new"),
    path("bringback/<uuid:uuid>/", views.plan_detail, name="plan"),
    path("bringback/items/<uuid:uuid>/", views.carry_out, name="carry_out"),
]
