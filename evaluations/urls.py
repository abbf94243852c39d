from django.urls import path

from evaluations import views

app_name = "evaluations"
urlpatterns = [
    path("<int:pk>/report/", views.report, name="report"),
    path("<int:pk>/report/attachments/<int:attachment_pk>/", views.download_attachment, name="attachment"),
    path("<int:pk>/report/attachments/<int:attachment_pk>/delete/", views.attachment_delete, name="attachment_delete"),
]
