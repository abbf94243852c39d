from django.urls import path

from notices import views

app_name = "notices"
urlpatterns = [
    path("verify/<str:code>/", views.verify, name="verify"),
    path("me/applications/<int:pk>/award-notice/", views.download, name="download"),
]
