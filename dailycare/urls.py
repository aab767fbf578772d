from django.urls import path

from dailycare import views

app_name = "dailycare"
urlpatterns = [
    path("", views.home, name="home"),
    path("meals/", views.meal_list, name="meals"),
    path("meals/new/", views.meal_new, name="meal_new"),
    path("meals/<uuid:uuid>/", views.meal_detail, name="meal"),
    path("samples/", views.sample_list, name="samples"),
    path("samples/<uuid:uuid>/", views.sample_detail, name="sample"),
    path("samples/<uuid:uuid>/dispose/", views.sample_dispose, name="sample_dispose"),
    path("episodes/<uuid:uuid>/basic-services/", views.basic_services, name="basic_services"),
    path("episodes/<uuid:uuid>/minor-plan/", views.minor_plan_new, name="minor_plan_new"),
    path("episodes/<uuid:uuid>/care-plan/", views.care_plan_new, name="care_plan_new"),
    path("episodes/<uuid:uuid>/shelter/", views.shelter_new, name="shelter_new"),
    path("minors/", views.minor_list, name="minors"),
    path("minors/<uuid:uuid>/", views.minor_plan, name="minor_plan"),
    path("minors/<uuid:uuid>/edit/", views.minor_plan_edit, name="minor_plan_edit"),
    path("minors/<uuid:uuid>/review/", views.minor_plan_review, name="minor_plan_review"),
    path("minors/<uuid:uuid>/guardianship/", views.minor_guardianship, name="minor_guardianship"),
    path("minors/<uuid:uuid>/assess/", views.minor_assess, name="minor_assess"),
    path("minors/<uuid:uuid>/refer/", views.minor_refer, name="minor_refer"),
    path("minors/<uuid:uuid>/long-term/", views.minor_long_term, name="minor_long_term"),
    path("care/", views.care_list, name="care_plans"),
    path("care/<uuid:uuid>/", views.care_plan, name="care_plan"),
    path("care/<uuid:uuid>/end/", views.care_plan_end, name="care_plan_end"),
    path("shelters/", views.shelter_list, name="shelters"),
    path("shelters/<uuid:uuid>/", views.shelter, name="shelter"),
    path("shelters/<uuid:uuid>/report/", views.shelter_report, name="shelter_report"),
    path("shelters/<uuid:uuid>/end/", views.shelter_end, name="shelter_end"),
]
