from django.contrib import admin
from django.urls import include, path

from reports.views import portfolio
from tracker import views

admin.site.site_header = "Recommendation Tracker administration"
admin.site.site_title = "Recommendation Tracker admin"

urlpatterns = [
    path("", portfolio, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("reports/", include("reports.urls")),
    path("", include("recommendations.urls")),
    path("admin/", admin.site.urls),
]
