"""Applications endpoints of the REST API v1 (SPEC §8), included under the "api" namespace."""

from django.urls import path

from applications import api

urlpatterns = [
    path("applications/", api.ApplicationListView.as_view(), name="application-list"),
    path("applications/<int:pk>/", api.ApplicationDetailView.as_view(), name="application-detail"),
    path(
        "applications/<int:pk>/attachments/",
        api.ApplicationAttachmentsView.as_view(),
        name="application-attachments",
    ),
    path(
        "applications/<int:pk>/attachments/<int:attachment_pk>/",
        api.ApplicationAttachmentDetailView.as_view(),
        name="application-attachment-detail",
    ),
    path(
        "applications/<int:pk>/transitions/",
        api.ApplicationTransitionsView.as_view(),
        name="application-transitions",
    ),
]
