from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("", views.report_list, name="list"),
    path("<slug:slug>/", views.report_detail, name="detail"),
    path("<slug:slug>/appendix/", views.report_appendix, name="appendix"),
    path("<slug:slug>/appendix.pdf", views.report_appendix_pdf, name="appendix_pdf"),
]
