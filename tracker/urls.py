from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from tracker import views
from tracker.forms import PasswordForm, SignInForm

admin.site.site_header = "Recommendation Tracker administration"
admin.site.site_title = "Recommendation Tracker admin"

urlpatterns = [
    path("", include("reports.home_urls")),
    path("healthz", views.healthz, name="healthz"),
    path("privacy/", views.privacy, name="privacy"),
    # Prometheus scrapes this with a token (and deploy/nginx only lets internal addresses reach it).
    path("metrics", views.metrics, name="metrics"),
    # Sign-in pages. No password-reset-by-email flow: no mail is configured, and
    # admins reset passwords in the admin site.
    path("accounts/login/", auth_views.LoginView.as_view(authentication_form=SignInForm), name="login"),
    path("accounts/logout/", views.SignOutView.as_view(), name="logout"),
    path(
        "accounts/password_change/",
        auth_views.PasswordChangeView.as_view(form_class=PasswordForm),
        name="password_change",
    ),
    path("accounts/password_change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("reports/", include("reports.urls")),
    path("", include("recommendations.urls")),
    path("admin/", admin.site.urls),
]
