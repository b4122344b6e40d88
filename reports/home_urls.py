"""The site's home page, the portfolio: at the root and outside the "reports" namespace
(``{% url 'home' %}``), included by the root URLconf by name so that the project package
imports no app."""

from django.urls import path

from reports import views

urlpatterns = [path("", views.portfolio, name="home")]
