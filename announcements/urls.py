from django.urls import path

from announcements import views

app_name = "announcements"
urlpatterns = [
    path("", views.announcement_list, name="list"),
    path("people/<uuid:uuid>/new/", views.announcement_new, name="new"),
    path("clues/", views.clue_inbox, name="clue_inbox"),
    path("clues/<uuid:uuid>/", views.clue_detail, name="clue_detail"),
    path("clues/<uuid:uuid>/identify/", views.clue_identify, name="clue_identify"),
    path("clues/<uuid:uuid>/photo/", views.clue_photo, name="clue_photo"),
    path("<uuid:uuid>/", views.announcement_detail, name="detail"),
    path("<uuid:uuid>/publish/", views.announcement_publish, name="publish"),
    path("<uuid:uuid>/withdraw/", views.announcement_withdraw, name="withdraw"),
    path("<uuid:uuid>/publications/", views.publication_add, name="publication_add"),
]
