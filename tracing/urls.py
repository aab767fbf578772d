from django.urls import path

from tracing import views

app_name = "tracing"
urlpatterns = [
    path("", views.home, name="home"),
    path("people/<uuid:uuid>/checks/new/", views.check_new, name="check_new"),
    path("people/<uuid:uuid>/tracer/", views.assign, name="assign"),
    path("people/<uuid:uuid>/talks/new/", views.talk_new, name="talk_new"),
    path("people/<uuid:uuid>/leads/new/", views.lead_new, name="lead_new"),
    path("people/<uuid:uuid>/dna/new/", views.dna_new, name="dna_new"),
    path("people/<uuid:uuid>/identify/", views.identify, name="identify"),
    path("checks/<uuid:uuid>/", views.check_detail, name="check"),
    path("checks/<uuid:uuid>/send/", views.check_send, name="check_send"),
    path("checks/<uuid:uuid>/answer/", views.check_answer, name="check_answer"),
    path("checks/<uuid:uuid>/photo/", views.check_photo, name="check_photo"),
    path("checks/<uuid:uuid>/print/", views.check_print, name="check_print"),
    path("attachments/<uuid:uuid>/", views.attachment, name="attachment"),
    path("talks/<uuid:uuid>/", views.talk_detail, name="talk"),
    path("leads/<uuid:uuid>/", views.lead_detail, name="lead"),
    path("dna/<uuid:uuid>/", views.dna_edit, name="dna"),
    path("plans/<uuid:uuid>/", views.plan_detail, name="plan"),
    path("plans/<uuid:uuid>/escalate/", views.plan_escalate, name="plan_escalate"),
    path("escalations/<uuid:uuid>/", views.escalation_answer, name="escalation"),
    path("reports/", views.report_index, name="report_index"),
    path("reports/<uuid:uuid>/", views.report, name="report"),
    path("reports/<uuid:uuid>/print/", views.report_print, name="report_print"),
    path("reports/<uuid:uuid>/xlsx/", views.report_xlsx, name="report_xlsx"),
    path("reports/<uuid:uuid>/issue/", views.report_issue, name="report_issue"),
    path("reports/issued/<uuid:uuid>/", views.report_file, name="report_file"),
]
