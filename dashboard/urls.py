from django.urls import path

from dashboard import views

app_name = "dashboard"
urlpatterns = [
    path("", views.dashboard, name="index"),
    path("calls/<int:call_id>/", views.dashboard, name="call"),
    path("calls/<int:call_id>/<slug:chart>.csv", views.chart_csv, name="csv"),
]
