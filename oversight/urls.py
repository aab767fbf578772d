from django.urls import path

from oversight import views

app_name = "oversight"
urlpatterns = [
    path("", views.home, name="home"),
    path("checklist/", views.checklist, name="checklist"),
    path("checklist/new/", views.checklist_new, name="checklist_new"),
    path("checklist/<uuid:uuid>/", views.checklist_edit, name="checklist_edit"),
    path("inspections/", views.inspection_list, name="inspections"),
    path("inspections/<uuid:uuid>/", views.inspection_detail, name="inspection"),
    path("orgs/<uuid:uuid>/inspect/", views.inspect, name="inspect"),
    path("results/<uuid:uuid>/photo/", views.result_photo, name="result_photo"),
    path("hazards/", views.hazard_list, name="hazards"),
    path("hazards/xlsx/", views.hazard_xlsx, name="hazards_xlsx"),
    path("hazards/new/", views.hazard_new, name="hazard_new"),
    path("hazards/<uuid:uuid>/", views.hazard_detail, name="hazard"),
    path("hazards/<uuid:uuid>/plan/", views.hazard_plan, name="hazard_plan"),
    path("hazards/<uuid:uuid>/submit/", views.hazard_submit, name="hazard_submit"),
    path("hazards/<uuid:uuid>/accept/", views.hazard_accept, name="hazard_accept"),
    path("hazards/<uuid:uuid>/close/", views.hazard_close, name="hazard_close"),
    path("hazards/<uuid:uuid>/print/", views.hazard_print, name="hazard_print"),
    path("panels/", views.panel_index, name="panels"),
    path("panels/<uuid:uuid>/", views.panel, name="panel"),
    path("panels/<uuid:uuid>/members/new/", views.member_new, name="member_new"),
    path("panels/<uuid:uuid>/meetings/new/", views.meeting_new, name="meeting_new"),
    path("panels/<uuid:uuid>/opinions/new/", views.opinion_new, name="opinion_new"),
    path("members/<uuid:uuid>/end/", views.member_end, name="member_end"),
    path("members/<uuid:uuid>/renew/", views.member_renew, name="member_renew"),
    path("meetings/<uuid:uuid>/", views.meeting_detail, name="meeting"),
    path("opinions/", views.opinion_list, name="opinions"),
    path("opinions/xlsx/", views.opinion_xlsx, name="opinions_xlsx"),
    path("opinions/<uuid:uuid>/", views.opinion_detail, name="opinion"),
    path("opinions/<uuid:uuid>/answer/", views.opinion_answer, name="opinion_answer"),
    path("opinions/<uuid:uuid>/decide/", views.opinion_decide, name="opinion_decide"),
]
