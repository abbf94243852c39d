from django.urls import path

from programs import views

app_name = "programs"
urlpatterns = [
    path("", views.program_list, name="list"),
    path("faq/", views.faq, name="faq"),
    path("policy/", views.policy_list, name="policy_list"),
    path("policy/<slug:slug>/", views.policy_detail, name="policy"),
    path("policy/<slug:slug>/download/", views.policy_download, name="policy_download"),
    path("calls/<int:pk>/", views.call_detail, name="call_detail"),
    path("calls/<int:pk>/guide/", views.call_guide, name="call_guide"),
    path("<str:code>/", views.program_detail, name="detail"),
    path("<str:code>/guide/", views.program_guide, name="guide"),
]
