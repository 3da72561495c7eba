"""Forms of the write paths; views ask the permission function before using them."""

from __future__ import annotations

from uuid import uuid4

from django import forms
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _

from debates.models import Argument, Proposal, ReportReason, Source, Stance, VoteValue

# Bounds on user text: long enough for a real argument, short enough that a
# paste of a whole document is refused with a message instead of stored.
PROPOSAL_BODY_MAX = 10_000
ARGUMENT_BODY_MAX = 5_000
SOURCE_DESCRIPTION_MAX = 2_000


class SubmissionTokenForm(forms.Form):
    """Carries a random token so that the same form posted twice creates one contribution."""

    submission_token = forms.UUIDField(widget=forms.HiddenInput, required=False, initial=uuid4)


class ProposalForm(forms.ModelForm):
    body = forms.CharField(
        label=_("Texte de la proposition"),
        max_length=PROPOSAL_BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 8}),
    )

    class Meta:
        model = Proposal
        fields = ["title", "body"]
        labels = {"title": _("Titre de la proposition")}


class ArgumentForm(forms.ModelForm):
    stance = forms.ChoiceField(label=_("Position"), choices=Stance.choices)
    body = forms.CharField(
        label=_("Votre argument"),
        max_length=ARGUMENT_BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    class Meta:
        model = Argument
        fields = ["stance", "body"]


class SourceForm(forms.ModelForm):
    url = forms.URLField(
        label=_("Adresse (URL)"),
        max_length=2000,
        validators=[URLValidator(schemes=["http", "https"])],
        assume_scheme="https",
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=SOURCE_DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    class Meta:
        model = Source
        fields = ["title", "url", "description"]
        labels = {"title": _("Titre de la source")}


class ProposalEditForm(ProposalForm):
    pass


class ArgumentEditForm(forms.ModelForm):
    body = ArgumentForm.base_fields["body"]

    class Meta:
        model = Argument
        fields = ["body"]


class SourceEditForm(SourceForm):
    pass


class NewProposalForm(SubmissionTokenForm, ProposalForm):
    pass


class NewArgumentForm(SubmissionTokenForm, ArgumentForm):
    pass


class NewSourceForm(SubmissionTokenForm, SourceForm):
    pass


WITHDRAW = "withdraw"


class VoteForm(forms.Form):
    value = forms.ChoiceField(
        label=_("Votre vote"),
        choices=[*VoteValue.choices, (WITHDRAW, _("Retirer mon vote"))],
    )


class ReportForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Motif du signalement"), choices=ReportReason.choices, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("Commentaire (facultatif)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
