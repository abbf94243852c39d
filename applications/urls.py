from django.urls import path

from applications import views

app_name = "applications"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/attachments/<int:attachment_pk>/", views.download_attachment, name="attachment"),
]
