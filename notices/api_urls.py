from django.urls import path

from notices.api import VerifyAwardNoticeView

urlpatterns = [
    path("verify/<str:code>/", VerifyAwardNoticeView.as_view(), name="verify-award-notice"),
]
