from django.urls import path

from regional import views

app_name = "regional"
urlpatterns = [
    path("", views.home, name="home"),
    path("dispatch/", views.dispatch, name="dispatch"),
    path("dispatch/figures/", views.dispatch_figures, name="dispatch_figures"),
    path("search/", views.search, name="search"),
    path("board/", views.board, name="board"),
    path("training/", views.training, name="training"),
    path("escalations/", views.escalation_list, name="escalations"),
    path("escalations/new/", views.escalation_new, name="escalation_new"),
    path("escalations/<uuid:uuid>/", views.escalation_detail, name="escalation"),
    path("escalations/<uuid:uuid>/answer/", views.escalation_answer, name="escalation_answer"),
    path("escalations/<uuid:uuid>/withdraw/", views.escalation_withdraw, name="escalation_withdraw"),
    path("escalations/<uuid:uuid>/return/", views.escalation_return, name="escalation_return"),
    path("assistance/", views.assistance_list, name="assistance_list"),
    path("assistance/new/", views.assistance_new, name="assistance_new"),
    path("assistance/<uuid:uuid>/", views.assistance_detail, name="assistance"),
    path("assistance/<uuid:uuid>/end/", views.assistance_end, name="assistance_end"),
    path("joint/", views.joint_list, name="joint_list"),
    path("joint/new/", views.joint_new, name="joint_new"),
    path("joint/<uuid:uuid>/", views.joint_detail, name="joint"),
    path("joint/<uuid:uuid>/participants/new/", views.joint_participant_new, name="joint_participant_new"),
    path("joint/<uuid:uuid>/meetings/new/", views.joint_meeting_new, name="joint_meeting_new"),
    path("joint/<uuid:uuid>/close/", views.joint_close, name="joint_close"),
    path("decisions/<uuid:uuid>/done/", views.decision_done, name="decision_done"),
    path("escorts/", views.batch_list, name="batches"),
    path("escorts/new/", views.batch_new, name="batch_new"),
    path("escorts/<uuid:uuid>/", views.batch_detail, name="batch"),
    path("escorts/<uuid:uuid>/members/new/", views.batch_member_new, name="batch_member_new"),
    path("escorts/<uuid:uuid>/start/", views.batch_start, name="batch_start"),
    path("escorts/<uuid:uuid>/cancel/", views.batch_cancel, name="batch_cancel"),
    path("escort-members/<uuid:uuid>/hand-over/", views.member_hand_over, name="member_hand_over"),
    path("escort-members/<uuid:uuid>/remove/", views.member_remove, name="member_remove"),
]
