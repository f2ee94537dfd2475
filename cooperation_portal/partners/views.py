"""A partner's profile page, mounted at /partners/ ("partners" namespace).

Fetched through `Partner.objects.visible_to(user)`: a focal point's portal holds their own partner only, so any
other partner's profile is a 404 to them, the same answer as an unknown code.
"""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views import View

from agreements_app.choices import AgreementStatus
from agreements_app.models import VoluntaryAgreement
from cooperation_portal.dates import court_today
from warrants_app.choices import WarrantStatus
from warrants_app.models import ArrestWarrant

from .models import Partner


class PartnerProfileView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest, code: str) -> HttpResponse:
        user = request.user
        partner = get_object_or_404(Partner.objects.visible_to(user), code=code)  # type: ignore[arg-type]
        today = court_today()
        agreements = list(
            VoluntaryAgreement.objects.visible_to(user).filter(partner=partner)  # type: ignore[arg-type]
            .order_by("agreement_type", "id")
        )
        for agreement in agreements:
            agreement.status_label = AgreementStatus(agreement.status_on(today)).label  # type: ignore[attr-defined]
        # Public warrants only, whatever the user's clearance: this page is about the State, not sealed material.
        warrants = list(
            ArrestWarrant.objects.visible_to(user).public_on(today)  # type: ignore[arg-type]
            .filter(believed_in=partner)
            .select_related("situation")
            .order_by("-issued_on", "id")
        )
        for warrant in warrants:
            warrant.status_label = WarrantStatus(warrant.status_on(today)).label  # type: ignore[attr-defined]
        context = {
            "partner": partner,
            "is_party_today": partner.is_state_party_on(today),
            "agreements": agreements,
            "warrants": warrants,
            "today": today,
        }
        return render(request, "partners/profile.html", context)
