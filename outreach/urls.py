from django.urls import path

from outreach import views

app_name = "outreach"
urlpatterns = [
    path("", views.home, name="home"),
    path("sightings/new/", views.sighting_new, name="sighting_new"),
    path("sightings/<uuid:uuid>/", views.sighting_detail, name="sighting"),
    path("sightings/<uuid:uuid>/dispatch/", views.sighting_dispatch, name="sighting_dispatch"),
    path("sightings/<uuid:uuid>/arrive/", views.sighting_arrive, name="sighting_arrive"),
    path("sightings/<uuid:uuid>/close/", views.sighting_close, name="sighting_close"),
    path("sightings/<uuid:uuid>/hand-over/", views.sighting_hand_over, name="sighting_hand_over"),
    path("sightings/<uuid:uuid>/photo/", views.sighting_photo, name="sighting_photo"),
    path("patrols/", views.patrols, name="patrols"),
    path("patrols/new/", views.patrol_new, name="patrol_new"),
    path("patrols/mobile/", views.patrol_mobile, name="patrol_mobile"),
    path("patrols/<uuid:uuid>/", views.patrol_detail, name="patrol"),
    path("patrols/<uuid:uuid>/encounter/", views.encounter_new, name="encounter_new"),
    path("patrols/<uuid:uuid>/end/", views.patrol_end, name="patrol_end"),
    path("encounters/<uuid:uuid>/link/", views.encounter_link, name="encounter_link"),
    path("hot-spots/", views.hot_spots, name="hot_spots"),
    path("hot-spots/new/", views.hot_spot_edit, name="hot_spot_new"),
    path("hot-spots/<uuid:uuid>/", views.hot_spot_edit, name="hot_spot_edit"),
    path("campaigns/", views.campaigns, name="campaigns"),
    path("campaigns/new/", views.campaign_new, name="campaign_new"),
    path("campaigns/<uuid:uuid>/", views.campaign_detail, name="campaign"),
    path("export/sightings.xlsx", views.export_sightings, name="export_sightings"),
    path("export/patrols.xlsx", views.export_patrols, name="export_patrols"),
    path("export/hot-spots.xlsx", views.export_hot_spots, name="export_hot_spots"),
]
