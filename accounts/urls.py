from django.urls import path

from accounts import views

app_name = "accounts"
urlpatterns = [
    path("", views.account_home, name="home"),
    path("session/keep-alive/", views.keep_alive, name="keep_alive"),
    path("organisation/register/", views.register_organisation, name="register_organisation"),
    path("organisation/", views.organisation_detail, name="organisation"),
    path("organisation/members/", views.members, name="members"),
    path("organisation/members/<int:pk>/remove/", views.remove_member, name="remove_member"),
    path("invitations/<str:token>/accept/", views.accept_invitation, name="accept_invitation"),
]
