"""Payout endpoints of the REST API v1 (SPEC §8), included under the "api" namespace."""

from django.urls import path

from payouts import api

urlpatterns = [
    path("payout-batches/", api.PayoutBatchesView.as_view(), name="payout-batches"),
    path("payout-batches/<int:pk>/", api.PayoutBatchDetailView.as_view(), name="payout-batch"),
    path("payout-batches/<int:pk>/approve/", api.ApproveBatchView.as_view(), name="payout-batch-approve"),
    path("payout-batches/<int:pk>/export/", api.ExportBatchView.as_view(), name="payout-batch-export"),
    path("payout-batches/<int:pk>/results/", api.BatchResultsView.as_view(), name="payout-batch-results"),
]
