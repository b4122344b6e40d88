"""A recommendation's life (#20): closing and reopening it, its addressees' acceptance, and
the chains of linked recommendations across reports. Every view reads through the user's
Scope; closing is for auditors and admins, a response for the addressee's own officers or
an auditor or admin recording a published one."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from recommendations import selectors
from recommendations.access import scope_for
from recommendations.forms import AcceptanceForm, ClosureForm
from recommendations.models import ClosureReason, Owner, Recommendation
from recommendations.services import acceptance_create, closure_event_create
from tracker.access import can_close
from tracker.inputs import page_number


def _detail(request, pk: int) -> Recommendation:
    try:
        return selectors.recommendation_detail(pk, scope=scope_for(request.user))
    except Recommendation.DoesNotExist:
        raise Http404("No such recommendation.") from None


def responding_organisations(user, recommendation: Recommendation) -> list[Owner]:
    """The addressees this user may record a response for: every named addressee for an
    auditor or admin; for an officer, their own organisations it is addressed to (a CPP's
    officer also for a recommendation addressed to all CPPs). Reads the prefetched owners."""
    addressees = list(recommendation.owners.all())
    if can_close(user):
        return addressees
    named = {o.pk for o in addressees}
    to_all_cpps = any(o.all_cpps for o in addressees)
    return [
        org
        for org in user.organisations.order_by("name")
        if org.pk in named or (to_all_cpps and org.kind == Owner.Kind.CPP and not org.all_cpps)
    ]


def lifecycle_context(request, recommendation, *, closure_form=None, acceptance_form=None) -> dict:
    """The recommendation page's part on its life (templates/recommendations/_lifecycle.html)."""
    if closure_form is None and can_close(request.user):
        closure_form = ClosureForm(recommendation=recommendation)
    organisations = responding_organisations(request.user, recommendation)
    if acceptance_form is None and organisations:
        acceptance_form = AcceptanceForm(owners=organisations)
    return {
        "lifecycle": selectors.lifecycle_of(recommendation, scope=scope_for(request.user)),
        "closure_form": closure_form,
        "acceptance_form": acceptance_form,
    }


def _shown_again(request, pk, status=400, **forms):
    # The page these forms post from (recommendations.views imports this module).
    from recommendations.views import detail_context

    recommendation = _detail(request, pk)
    context = detail_context(request, recommendation)
    context.update(lifecycle_context(request, recommendation, **forms))
    return render(request, "recommendations/detail.html", context, status=status)


@require_POST
def closure(request, pk):
    """Close or reopen a recommendation (auditors and admins)."""
    if not can_close(request.user):
        raise PermissionDenied("Only auditors and admins close recommendations.")
    recommendation = _detail(request, pk)
    form = ClosureForm(request.POST, recommendation=recommendation)
    if form.is_valid():
        data = form.cleaned_data
        try:
            closure_event_create(
                recommendation=recommendation,
                action=data["action"],
                reason=data["reason"],
                owner=data["owner"],
                effective_on=data["effective_on"],
                note=data["note"],
                superseded_by=data["superseded_by"],
                superseded_by_report=data["superseded_by_report"],
                superseded_by_title=data["superseded_by_title"],
                author=request.user,
            )
        except ValidationError as exc:
            for field, errors in getattr(exc, "error_dict", {None: exc.error_list}).items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            whom = f" for {data['owner']}" if data["owner"] else ""
            if data["action"] == "close":
                text = f"Recommendation closed{whom} ({ClosureReason(data['reason']).label})."
            else:
                text = f"Recommendation reopened{whom}."
            messages.success(request, text)
            return redirect(recommendation.get_absolute_url() + "#lifecycle")
    return _shown_again(request, pk, closure_form=form)


@require_POST
def acceptance(request, pk):
    """Record an addressee's response: its own officers, or an auditor or admin."""
    recommendation = _detail(request, pk)
    organisations = responding_organisations(request.user, recommendation)
    if not organisations:
        raise PermissionDenied("Only the addressees' officers, auditors and admins record a response.")
    form = AcceptanceForm(request.POST, owners=organisations)
    if form.is_valid():
        data = form.cleaned_data
        try:
            record = acceptance_create(
                recommendation=recommendation,
                owner=data["owner"],
                decision=data["decision"],
                responded_on=data["responded_on"],
                text=data["text"],
                author=request.user,
            )
        except ValidationError as exc:
            for error in exc.messages:
                form.add_error(None, error)
        else:
            messages.success(request, f"Response recorded: {record.get_decision_display()} by {record.owner}.")
            return redirect(recommendation.get_absolute_url() + "#acceptance")
    return _shown_again(request, pk, acceptance_form=form)


@require_safe
def repeated(request):
    """Chains of linked recommendations across reports (repeats, follows up, supersedes), each
    recommendation with its current status and whether it is open, a page of chains at a
    time. Bounded queries whatever a chain's length (selectors.link_chains)."""
    number = page_number(request)
    chains, in_all = selectors.link_chains(scope=scope_for(request.user), page=number)
    if number > 1 and not chains:
        raise Http404("No such page of chains.")
    per_page = selectors.CHAINS_PER_PAGE
    return render(
        request,
        "recommendations/repeated.html",
        {
            "chains": chains,
            "chains_in_all": in_all,
            "page_number": number,
            "num_pages": max(1, -(-in_all // per_page)),
            "previous_page": number - 1 if number > 1 else None,
            "next_page": number + 1 if number * per_page < in_all else None,
        },
    )
