from django.urls import path

from publicity import views

app_name = "publicity"
urlpatterns = [
    path("", views.notice_list, name="list"),
    path("<int:pk>/", views.notice_detail, name="detail"),
]
