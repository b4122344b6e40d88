from django.apps import AppConfig


class RecommendationsConfig(AppConfig):
    name = "recommendations"
    verbose_name = "Recommendations"

    def ready(self):
        from recommendations import choice_lists, owner_names

        choice_lists.connect()
        owner_names.connect()
