from django.urls import path

from minewatch.accounts import oidc, views

app_name = "accounts"

urlpatterns = [
    path("", views.security, name="security"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token-revoke"),
    path("two-factor/enrol/", views.two_factor_enrol, name="two-factor-enrol"),
    path("two-factor/verify/", views.two_factor_verify, name="two-factor-verify"),
    path("two-factor/recovery-codes/", views.recovery_codes_regenerate, name="recovery-codes"),
    path("oidc/login/", oidc.SSOLoginView.as_view(), name="oidc-login"),
    path("oidc/callback/", oidc.SSOCallbackView.as_view(), name="oidc-callback"),
]
