from django.urls import path

from notices import views

app_name = "notices"
urlpatterns = [
    path("verify/", views.verify_index, name="verify_index"),
    path("verify/<str:code>/", views.verify, name="verify"),
    path("me/applications/<int:pk>/award-notice/", views.download, name="download"),
    path("me/applications/<int:pk>/application-form/", views.application_form, name="application_form"),
    path("documents/programs/<str:code>/commitment/", views.commitment_template, name="commitment"),
    path("documents/programs/<str:code>/checklist/", views.checklist, name="checklist"),
]
