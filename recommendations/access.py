"""What each user may see of the recommendations and their history. Every view reads
through ``Scope``.

- Auditors and admins see every recommendation and every update.
- Officers see only recommendations addressed to their organisation(s) (for a CPP
  officer, also those addressed to all CPPs), and never a local response concerning
  another organisation.
- A signed-in user with no role sees nothing (tracker.access.RoleRequiredMiddleware).
"""

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from recommendations.models import Owner, Recommendation
from tracker.access import roles
from tracker.roles import ADMIN, AUDITOR, OFFICER


@dataclass(frozen=True)
class Scope:
    """What one user may see."""

    everything: bool
    owner_ids: frozenset[int] = frozenset()  # an officer's organisations, plus "all CPPs" for a CPP officer
    organisation_ids: frozenset[int] = frozenset()  # the officer's own organisations
    # What the words below say: the officer's organisations by name, and whether what is
    # addressed to all CPPs is included. Not part of the key (the ids above decide it).
    organisation_names: tuple[str, ...] = ()
    with_all_cpps: bool = False

    @property
    def words(self) -> str:
        """Whose recommendations this scope sees, to follow "recommendations": "" for everyone's,
        else e.g. "addressed to Inverclyde Alliance or to all CPPs". Every count, chart, table
        and export an officer sees says so, so that no one quotes a scoped number as the whole."""
        if self.everything:
            return ""
        if not self.organisation_names:
            return "addressed to your organisation (your account is not linked to one yet)"
        names = list(self.organisation_names)
        words = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
        return f"addressed to {words}{' or to all CPPs' if self.with_all_cpps else ''}"

    @property
    def key(self) -> str:
        """What this scope may see, as a cache key part: two viewers share a kept fragment
        only when they may see exactly the same."""
        if self.everything:
            return "all"
        owners = "-".join(str(pk) for pk in sorted(self.owner_ids))
        return f"o{owners}.{'-'.join(str(pk) for pk in sorted(self.organisation_ids))}"

    def recommendations(self, queryset: QuerySet) -> QuerySet:
        """Only the recommendations this user may see (an EXISTS, no duplicates)."""
        if self.everything:
            return queryset
        return queryset.addressed_to(self.owner_ids)

    def updates(self, queryset: QuerySet) -> QuerySet:
        """Only updates on visible recommendations, without other organisations' local responses."""
        if self.everything:
            return queryset
        visible = self.recommendations(Recommendation.objects.all()).values("pk")
        return self.summaries(queryset.filter(recommendation__in=visible))

    def summaries(self, queryset: QuerySet) -> QuerySet:
        """Updates whose words this user may search: every update for auditors and admins;
        for anyone else, national assessments and their own organisations' local responses
        (the recommendations are bounded by the search's own queryset)."""
        if self.everything:
            return queryset
        return queryset.filter(Q(concerns__isnull=True) | Q(concerns__in=self.organisation_ids))

    def responses(self, queryset: QuerySet) -> QuerySet:
        """Organisations' responses this user may see: every one for auditors and admins;
        for an officer, their own organisations' responses alone."""
        if self.everything:
            return queryset
        return queryset.filter(organisation__in=self.organisation_ids)

    def may_respond_for(self, organisation_id: int) -> bool:
        """Whether this user records responses for the organisation: its own officers only."""
        return organisation_id in self.organisation_ids


EVERYTHING = Scope(everything=True)
NOTHING = Scope(everything=False)


def scope_for(user) -> Scope:
    """The user's scope, cached on the user object (at most two queries per request)."""
    cached = getattr(user, "_tracker_scope", None)
    if cached is not None:
        return cached
    user_roles = roles(user)
    if user_roles & {AUDITOR, ADMIN}:
        scope = EVERYTHING
    elif OFFICER in user_roles:
        scope = organisation_scope(user)
    else:
        scope = NOTHING
    user._tracker_scope = scope
    return scope


def organisation_scope(user) -> Scope:
    """Recommendations addressed to the user's own organisations (for a CPP, also
    those addressed to all CPPs), whatever their role: "my recommendations"."""
    organisations = list(user.organisations.order_by("name").values_list("pk", "name"))
    organisation_ids = {pk for pk, _ in organisations}
    owner_ids = Owner.objects.filter(pk__in=organisation_ids).ids_with_all_cpps()
    return Scope(
        everything=False,
        owner_ids=frozenset(owner_ids),
        organisation_ids=frozenset(organisation_ids),
        organisation_names=tuple(name for _, name in organisations),
        with_all_cpps=bool(owner_ids - organisation_ids),
    )
