from django.urls import path

from . import views

# Account-level pages: no organization in the URL.
account_urlpatterns = [
    path("", views.home, name="home"),
    path("signup/", views.signup, name="signup"),
    path("o/", views.organization_list, name="organization_list"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("account/language/", views.account_language, name="account_language"),
]

# Mounted under /o/<org_slug>/: the tenant middleware grants or 404s.
org_urlpatterns = [
    path("settings/", views.organization_settings, name="organization_settings"),
    path("settings/fatigue/", views.organization_fatigue, name="organization_fatigue"),
    path(
        "settings/identity-secret/rotate/",
        views.identity_secret_rotate,
        name="identity_secret_rotate",
    ),
    path(
        "settings/identity-verification/",
        views.identity_verification,
        name="identity_verification",
    ),
    path("members/", views.members, name="members"),
    path("members/<int:membership_id>/", views.member_update, name="member_update"),
    path(
        "invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("api-keys/", views.api_keys, name="api_keys"),
    path("api-keys/<int:key_id>/revoke/", views.api_key_revoke, name="api_key_revoke"),
]
