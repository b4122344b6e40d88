from django.urls import path

from recommendations import lifecycle_views, views, views_responses

app_name = "recommendations"

urlpatterns = [
    path("recommendations/", views.recommendation_list, name="list"),
    path("recommendations/repeated/", lifecycle_views.repeated, name="repeated"),
    path("recommendations/<int:pk>/", views.detail, name="detail"),
    path("recommendations/<int:pk>/closure/", lifecycle_views.closure, name="closure"),
    path("recommendations/<int:pk>/acceptance/", lifecycle_views.acceptance, name="acceptance"),
    path("recommendations/<int:pk>/updates/", views.add_update, name="add_update"),
    path("recommendations/<int:pk>/responses/", views_responses.respond, name="respond"),
    path("evidence/<int:file_id>/", views_responses.evidence_file, name="evidence_file"),
    path("my/", views.my_recommendations, name="mine"),
    path("owners/", views.owner_list, name="owners"),
    path("owners/<slug:slug>/", views.owner_detail, name="owner"),
]
