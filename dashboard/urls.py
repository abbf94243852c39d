from django.urls import path

from dashboard import views

app_name = "dashboard"
urlpatterns = [
    path("", views.dashboard, name="index"),
    path("calls/<int:call_id>/", views.dashboard, name="call"),
    path("calls/<int:call_id>/threshold/", views.set_threshold, name="threshold"),
    path("calls/<int:call_id>/<slug:chart>.csv", views.chart_csv, name="csv"),
    path("runs/<int:run_id>/decision-pack.pdf", views.decision_pack, name="decision_pack"),
    path("runs/<int:run_id>/decision-packs/<int:pack_id>/", views.decision_pack_status, name="decision_pack_status"),
]
