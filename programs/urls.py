from django.urls import path

from programs import views

app_name = "programs"
urlpatterns = [
    path("", views.program_list, name="list"),
    path("calls/<int:pk>/", views.call_detail, name="call_detail"),
    path("<str:code>/", views.program_detail, name="detail"),
]
