"""Recommendation pages. Every view reads through the user's Scope (recommendations.access):
officers see only what is addressed to their organisations; only auditors write."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from recommendations import selectors
from recommendations.access import organisation_scope, scope_for
from recommendations.filters import RecommendationFilter
from recommendations.forms import ProgressUpdateForm, ResponseForm
from recommendations.lifecycle_views import lifecycle_context
from recommendations.models import Owner, Recommendation, Status
from recommendations.services import NewerUpdates, progress_update_create
from recommendations.tables import respond_column, table_context, table_page
from tracker.access import can_record_updates


def _get_recommendation_for_user(request, pk: int, *, page: bool = True) -> Recommendation:
    """The recommendation if this user may see it, else 404 (not 403: its existence is not
    revealed); with everything its page shows, or (``page=False``) alone."""
    select = selectors.recommendation_detail if page else selectors.recommendation
    try:
        return select(pk, scope=scope_for(request.user))
    except Recommendation.DoesNotExist:
        raise Http404("No such recommendation.") from None


@require_safe
def recommendation_list(request):
    """The filterable, sortable, exportable table. Bounded queries: session, user,
    roles, 4 for the filter form's choices, count, page, owners of the page's rows."""
    scope = scope_for(request.user)
    base = selectors.recommendations_for_table(scope=scope)
    filterset = RecommendationFilter(request.GET, queryset=base, scope=scope)
    table, export = table_page(request, base, export_stem="recommendations", filterset=filterset, scope=scope)
    if export:
        return export
    # Invalid filters: the form again with its errors and an empty table, as a 400.
    return render(
        request,
        "recommendations/list.html",
        {"filterset": filterset, **table_context(request, table, scope=scope)},
        status=400 if filterset.errors else 200,
    )


@require_safe
def my_recommendations(request):
    """The recommendations addressed to the user's organisation(s), with their exports."""
    organisations = list(request.user.organisations.order_by("name"))
    scope = organisation_scope(request.user)
    base = selectors.for_organisation(selectors.recommendations_for_table(scope=scope), scope.organisation_ids)
    table, export = table_page(
        request, base, export_stem="my-recommendations", extra_columns=[respond_column()], scope=scope
    )
    if export:
        return export
    return render(
        request,
        "recommendations/mine.html",
        {
            "organisations": organisations,
            "summary": selectors.addressee_status_summary(base),
            "follow_up": selectors.follow_up_counts(scope=scope),
            **table_context(request, table, scope=scope),
        },
    )


def detail_context(request, recommendation, form=None, newer=None, response_form=None) -> dict:
    """Everything the recommendation page shows, its forms included (its life's part:
    recommendations.lifecycle_views.lifecycle_context)."""
    can_assess = can_record_updates(request.user)
    if form is None and can_assess:
        history = list(recommendation.updates.all())
        initial = {"seen_latest": max((u.pk for u in history), default=0), "assessed_on": timezone.localdate()}
        initial.update(_assessing(request, recommendation))
        form = ProgressUpdateForm(recommendation=recommendation, initial=initial)
    if response_form is None:
        scope = scope_for(request.user)
        organisations = selectors.organisations_responding(recommendation, request.user, scope=scope)
        if organisations:
            response_form = ResponseForm(organisations=organisations)
    return {
        "recommendation": recommendation,
        "form": form,
        "newer_updates": newer or [],
        **lifecycle_context(request, recommendation),
        "response_form": response_form,
        "can_assess": can_assess,
        "stale_months": settings.TRACKER_STALE_MONTHS,
    }


def _assessing(request, recommendation) -> dict:
    """The auditor's form pre-filled to assess one organisation's response (``?assess=<its
    id>``, the "Assess" link beside it): for that organisation, with its evidence references."""
    try:
        organisation_id = int(request.GET.get("assess", ""))
    except ValueError:
        return {}
    row = next((a for a in recommendation.addressees if a.organisation.pk == organisation_id), None)
    if row is None:
        return {}
    initial = {"concerns": row.organisation.pk}
    if row.response is not None:
        initial["evidence"] = "; ".join(row.response.evidence_display)
    return initial


@require_http_methods(["GET", "HEAD", "POST"])
def detail(request, pk):
    """A recommendation, its related chain and its history; the update form for auditors,
    which posts back here, so that a page shown again (errors, a newer update) keeps this
    page's address."""
    if request.method == "POST":
        return _record_update(request, pk)
    recommendation = _get_recommendation_for_user(request, pk)
    return render(request, "recommendations/detail.html", detail_context(request, recommendation))


@require_http_methods(["GET", "HEAD", "POST"])
def add_update(request, pk):
    """The update form's former address: still records a post (old pages, bookmarks);
    a GET (the address left in the bar) goes to the recommendation."""
    if request.method == "POST":
        return _record_update(request, pk)
    return redirect("recommendations:detail", pk=pk)


def _record_update(request, pk):
    """Record a progress update (auditors only). If another update was recorded since
    the form was opened, nothing is saved until the auditor confirms."""
    if not can_record_updates(request.user):
        raise PermissionDenied("Only auditors record progress updates.")
    # The recommendation alone: its page (history, links) is loaded only to show the form again.
    recommendation = _get_recommendation_for_user(request, pk, page=False)
    form = ProgressUpdateForm(request.POST, recommendation=recommendation)
    if not form.is_valid():
        recommendation = _get_recommendation_for_user(request, pk)
        return render(request, "recommendations/detail.html", detail_context(request, recommendation, form), status=400)

    data = form.cleaned_data
    before = Status(recommendation.status).label
    try:
        update = progress_update_create(
            recommendation=recommendation,
            rag=data["rag"],
            summary=data["summary"],
            assessed_on=data["assessed_on"],
            evidence=data["evidence"],
            published_in=data["published_in"],
            corrects=data["corrects"],
            concerns=data["concerns"],
            author=request.user,
            unless_newer_than=None if data["confirm"] else (data["seen_latest"] or 0),
            seen_by=scope_for(request.user),
        )
    except NewerUpdates:
        # Shown again with seen_latest as the auditor sent it: until they tick the box, the
        # updates they have not seen stay unseen, and posting again is warned again.
        seen = data["seen_latest"] or 0
        recommendation = _get_recommendation_for_user(request, pk)
        newer = [u for u in recommendation.updates.all() if u.pk > seen]
        form.stale = True
        return render(
            request, "recommendations/detail.html", detail_context(request, recommendation, form, newer), status=409
        )
    after = Status(recommendation.status).label
    change = f"{before} → {after}" if before != after else f"still {after}"
    if data["concerns"] is not None:
        change = f"{update.rag_label} for {data['concerns'].name}; national status {change}"
    messages.success(
        request, f"Progress update recorded ({update.rag_label}, {update.assessed_display}). Current status: {change}."
    )
    return redirect(recommendation)


@require_safe
def owner_list(request):
    """Every organisation, grouped by kind, with the status of what is addressed to it. 4 queries."""
    owners = list(Owner.objects.order_by("kind", "-all_cpps", "name"))
    counts = selectors.owner_status_counts(scope=scope_for(request.user))
    groups: dict[str, list] = {}
    for owner in owners:
        summary = selectors.status_summary(counts.get(owner.pk, {}))
        groups.setdefault(Owner.Kind(owner.kind).label, []).append(
            {"owner": owner, "summary": summary, "total": sum(item["count"] for item in summary)}
        )
    order = [kind.label for kind in Owner.Kind]
    return render(
        request,
        "recommendations/owner_list.html",
        {
            "groups": [
                (_plural(kind, len(rows)), rows)
                for kind, rows in sorted(groups.items(), key=lambda group: order.index(group[0]))
            ],
            "statuses": list(Status),
        },
    )


def _plural(label: str, n: int) -> str:
    """A kind's heading: "Local government bodies", "Community Planning Partnerships"."""
    if n == 1:
        return label
    return f"{label[:-1]}ies" if label.endswith("y") else f"{label}s"


@require_safe
def owner_detail(request, slug):
    """One organisation: its status summary and the table of its recommendations."""
    owner = get_object_or_404(Owner, slug=slug)
    scope = scope_for(request.user)
    # Its own statuses only to those who may see them (another CPP's officer sees the national ones).
    own = not owner.all_cpps and (scope.everything or owner.pk in scope.organisation_ids)
    queryset = selectors.for_organisation(
        selectors.recommendations_for_owner(owner, scope=scope), [owner.pk] if own else []
    )
    table, export = table_page(request, queryset, export_stem=owner.slug, scope=scope)
    if export:
        return export
    return render(
        request,
        "recommendations/owner_detail.html",
        {
            "owner": owner,
            "summary": selectors.addressee_status_summary(queryset),
            **table_context(request, table, scope=scope),
        },
    )
