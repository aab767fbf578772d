from django.urls import path

from stay import views

app_name = "stay"
urlpatterns = [
    path("", views.board, name="board"),
    path("zones/", views.zone_list, name="zone_list"),
    path("zones/new/", views.zone_new, name="zone_new"),
    path("zones/<uuid:uuid>/", views.zone_detail, name="zone_detail"),
    path("beds/<uuid:uuid>/toggle/", views.bed_toggle, name="bed_toggle"),
    path("episodes/<uuid:uuid>/", views.episode, name="episode"),
    path("episodes/<uuid:uuid>/bed/", views.bed_assign, name="bed_assign"),
    path("episodes/<uuid:uuid>/bed/release/", views.bed_release, name="bed_release"),
    path("episodes/<uuid:uuid>/placement/", views.placement_new, name="placement_new"),
    path("episodes/<uuid:uuid>/n5/", views.extension_new, name="extension_new"),
    path("episodes/<uuid:uuid>/search-refresh/", views.search_refresh, name="search_refresh"),
    path("placements/<uuid:uuid>/return/", views.placement_return, name="placement_return"),
    path("episodes/<uuid:uuid>/carer/", views.care_assign, name="care_assign"),
    path("episodes/<uuid:uuid>/bed/move/", views.bed_move, name="bed_move"),
    path("beds/map/", views.bed_map, name="bed_map"),
    path("n5-reports/", views.n5_reports, name="n5_reports"),
    path("n5-reports/<uuid:uuid>/acknowledge/", views.n5_acknowledge, name="n5_acknowledge"),
]
