"""factory_boy factories shared by every test module."""

import datetime

import factory
from django.contrib.auth.models import Permission
from django_otp.plugins.otp_totp.models import TOTPDevice

from agreements_app.choices import AgreementType
from agreements_app.models import VoluntaryAgreement
from cooperation_portal.accounts.choices import Role
from cooperation_portal.accounts.models import User
from cooperation_portal.accounts.two_factor import requires_two_factor
from cooperation_portal.partners.choices import PartnerKind, RegionalGroup
from cooperation_portal.partners.models import Partner
from cooperation_portal.situations.models import Case, Situation
from requests_app.choices import Confidentiality, Organ, RequestType, Status
from requests_app.models import CooperationRequest
from warrants_app.models import ArrestWarrant

STATE_CODES = iter(
    ["NLD", "BEL", "FRA", "DEU", "KEN", "UGA", "COL", "ARG", "JPN", "SEN", "MLI", "SRB", "AUT", "DNK"] * 50
)


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner
        django_get_or_create = ("code",)

    kind = PartnerKind.STATE
    code = factory.LazyFunction(lambda: next(STATE_CODES))
    name = factory.LazyAttribute(lambda o: f"State {o.code}")
    regional_group = RegionalGroup.WEOG
    ratification_date = datetime.date(2001, 1, 1)
    entry_into_force_date = datetime.date(2002, 7, 1)


class OrganizationFactory(PartnerFactory):
    kind = PartnerKind.ORGANIZATION
    code = factory.Sequence(lambda n: f"ORG{n}")
    regional_group = ""
    ratification_date = None
    entry_into_force_date = None


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    role = Role.REGISTRY
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery staple")

    @factory.post_generation
    def sealed_clearance(self: User, create: bool, extracted: bool | None, **kwargs: object) -> None:
        if create and extracted:
            self.user_permissions.add(Permission.objects.get(codename="sealed_clearance"))

    @factory.post_generation
    def totp_device(self: User, create: bool, extracted: bool | None, **kwargs: object) -> None:
        """Registry staff and administrators must confirm logins with a code: give them a confirmed TOTP device
        (tests/otp.py computes its codes). `totp_device=False` makes one that has not enrolled yet."""
        if create and extracted is not False and requires_two_factor(self):
            TOTPDevice.objects.create(user=self, name="test authenticator", confirmed=True)

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):  # type: ignore[no-untyped-def]
        if create:
            instance.save()


class RegistryFactory(UserFactory):
    role = Role.REGISTRY
    is_staff = True


class FocalPointFactory(UserFactory):
    role = Role.FOCAL_POINT
    partner = factory.SubFactory(PartnerFactory)


class FacilitatorFactory(UserFactory):
    role = Role.FACILITATOR


class SituationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Situation
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"ICC-TEST/{n:02d}")
    name = factory.Sequence(lambda n: f"Situation {n}")


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Case

    situation = factory.SubFactory(SituationFactory)
    number = factory.LazyAttributeSequence(lambda o, n: f"{o.situation.code}-{n:02d}/26")
    name = factory.Sequence(lambda n: f"The Prosecutor v. Fictional Person {n}")


class CooperationRequestFactory(factory.django.DjangoModelFactory):
    """A request already transmitted; pass status=Status.DRAFT, transmitted_on=None, due_on=None for a draft."""

    class Meta:
        model = CooperationRequest

    reference = factory.Sequence(lambda n: f"TEST-{n:06d}")
    organ = Organ.REGISTRY
    request_type = RequestType.EVIDENCE
    partner = factory.SubFactory(PartnerFactory)
    subject = factory.Sequence(lambda n: f"Production of records, batch {n}")
    confidentiality = Confidentiality.CONFIDENTIAL
    status = Status.TRANSMITTED
    transmitted_on = datetime.date(2026, 1, 5)
    due_on = factory.LazyAttribute(lambda o: o.transmitted_on and o.transmitted_on + datetime.timedelta(days=60))


class VoluntaryAgreementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VoluntaryAgreement

    partner = factory.SubFactory(PartnerFactory)
    agreement_type = AgreementType.ENFORCEMENT
    signed_on = datetime.date(2010, 5, 1)
    in_force_on = datetime.date(2010, 6, 1)


class ArrestWarrantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ArrestWarrant

    person_name = factory.Sequence(lambda n: f"Fictional Person {n}")
    situation = factory.SubFactory(SituationFactory)
    chamber = "Pre-Trial Chamber I"
    issued_on = datetime.date(2020, 3, 1)
    charges = "Fictional charges for tests."


# Admin helpers (added for the admin tests).
PORTAL_APP_LABELS = ("accounts", "partners", "situations", "requests_app", "agreements_app", "warrants_app")


def grant_admin_permissions(user: User, *actions: str) -> User:
    """Give `user` the model permissions for `actions` (default view, add, change) on every portal model.

    Returns the user re-read from the database, since Django caches permissions on the instance.
    """
    actions = actions or ("view", "add", "change")
    permissions = Permission.objects.filter(
        content_type__app_label__in=PORTAL_APP_LABELS,
        codename__regex=rf"^({'|'.join(actions)})_",
    )
    user.user_permissions.add(*permissions)
    return User.objects.get(pk=user.pk)


class RegistryStaffFactory(RegistryFactory):
    """Registry staff with the admin's view, add and change permissions on every portal model."""

    @factory.post_generation
    def admin_permissions(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            grant_admin_permissions(self)


def admin_form_data(response: object) -> dict[str, object]:
    """What a browser would post back unchanged from an admin add/change page: the main form and inline formsets."""
    from django import forms

    def encode(bound: forms.BoundField, data: dict[str, object]) -> None:
        value = bound.value()
        widget = bound.field.widget
        if isinstance(widget, forms.MultiWidget):
            parts = value if isinstance(value, list) else widget.decompress(value) or []
            # widgets_names is set by MultiWidget.__init__; the stubs do not declare it.
            suffixes: list[str] = widget.widgets_names  # type: ignore[attr-defined]
            for suffix, part in zip(suffixes, parts, strict=True):
                data[f"{bound.html_name}{suffix}"] = _encode_scalar(part)
            return
        if isinstance(bound.field, forms.BooleanField):
            if value:
                data[bound.html_name] = "on"
            return
        # The admin wraps related widgets; a multiple select posts one value per item, a raw-id input a
        # comma-separated list.
        multiple = getattr(getattr(widget, "widget", widget), "allow_multiple_selected", False)
        if multiple:
            data[bound.html_name] = [_encode_scalar(item) for item in value or ()]
            return
        if isinstance(value, list | tuple):
            data[bound.html_name] = ",".join(_encode_scalar(item) for item in value)
            return
        data[bound.html_name] = _encode_scalar(value)

    context = response.context  # type: ignore[attr-defined]
    data: dict[str, object] = {}
    for bound in context["adminform"].form:
        encode(bound, data)
    for inline in context.get("inline_admin_formsets", []):
        for bound in inline.formset.management_form:
            encode(bound, data)
        for form in inline.formset.forms:
            for bound in form:
                encode(bound, data)
    return data


def _encode_scalar(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, datetime.time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)
