"""Organisations' responses: an officer records their organisation's response to a
recommendation addressed to it; evidence files are served only to those who may see the
response (everyone else gets a 404: a file's existence is not revealed)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from recommendations import selectors
from recommendations.access import scope_for
from recommendations.evidence_files import KINDS
from recommendations.forms import ResponseForm
from recommendations.models import ResponseFile
from recommendations.services import response_create
from recommendations.views import _get_recommendation_for_user


@require_http_methods(["GET", "HEAD", "POST"])
def respond(request, pk):
    """Officers of an organisation the recommendation is addressed to: the response form
    (GET, from "my recommendations"), and recording it (POST, also from the recommendation's
    page). Anyone who may see the recommendation but respond for none of its addressees: 403;
    anyone who may not see it: 404."""
    recommendation = _get_recommendation_for_user(request, pk, page=False)
    scope = scope_for(request.user)
    organisations = selectors.organisations_responding(recommendation, request.user, scope=scope)
    if not organisations:
        raise PermissionDenied("Only the officers of an organisation it is addressed to respond to a recommendation.")
    if request.method == "POST":
        form = ResponseForm(request.POST, request.FILES, organisations=organisations)
    else:
        form = ResponseForm(organisations=organisations)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            response = response_create(
                recommendation=recommendation,
                organisation=data["organisation"],
                progress=data["progress"],
                text=data["text"],
                responded_on=timezone.localdate(),
                evidence=data["evidence"],
                files=data["files"],
                author=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            files = len(data["files"])
            messages.success(
                request,
                f"Response recorded for {response.organisation.name} ({response.progress_label}"
                + (f", {files} file{'s' if files != 1 else ''} of evidence" if files else "")
                + ").",
            )
            return redirect(recommendation.get_absolute_url() + "#responses")
    return render(
        request,
        "recommendations/respond.html",
        {"recommendation": recommendation, "response_form": form},
        status=400 if form.errors else 200,
    )


@require_safe
def evidence_file(request, file_id):
    """An evidence file, as a download, to those who may see its response; 404 otherwise."""
    try:
        record = selectors.evidence_file(file_id, scope=scope_for(request.user))
    except ResponseFile.DoesNotExist:
        raise Http404("No such file.") from None
    response = FileResponse(
        record.file.open("rb"),
        as_attachment=True,
        filename=record.name,
        content_type=KINDS[record.kind].content_type,
    )
    response["Cache-Control"] = "private, no-store"
    return response
