"""Publicity endpoints of the REST API v1 (SPEC §8), included under the "api" namespace."""

from django.urls import path

from publicity import api

urlpatterns = [
    path("publicity/", api.PublicityListView.as_view(), name="publicity-list"),
    path("publicity/<int:pk>/objections/", api.ObjectionCreateView.as_view(), name="publicity-objections"),
    path(
        "calls/<int:call_id>/publicity-notices/",
        api.CallPublicityNoticesView.as_view(),
        name="call-publicity-notices",
    ),
]
