"""The organisers' forms: an official answer, a results text."""

from __future__ import annotations

from django import forms
from django.core.validators import URLValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from answers.models import Answer, Results

ANSWER_TEXT_MAX = 20_000
LOCAL_MINUTE = "%Y-%m-%dT%H:%M"


def moment_field(label: str, help_text: str) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        help_text=help_text,
        required=False,
        input_formats=[LOCAL_MINUTE, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_MINUTE),
    )


class AnswerForm(forms.ModelForm):
    text = forms.CharField(
        label=_("Texte de la réponse"),
        max_length=ANSWER_TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    answered_on = forms.DateField(
        label=_("Date de la réponse"),
        initial=timezone.localdate,
        help_text=_("Aujourd'hui si vous la laissez vide."),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
    )
    link = forms.URLField(
        label=_("Lien vers la suite donnée (facultatif)"),
        required=False,
        max_length=2000,
        validators=[URLValidator(schemes=["http", "https"])],
        assume_scheme="https",
        help_text=_("Un article du projet de loi, une décision, un compte rendu…"),
    )
    publish_at = moment_field(
        _("Publier le (heure de Paris, facultatif)"),
        _("Laissez vide pour publier tout de suite ; une date future programme la publication."),
    )

    class Meta:
        model = Answer
        fields = ["state", "text", "answered_on", "link", "publish_at"]
        labels = {"state": _("État de la proposition")}


class ResultsForm(forms.ModelForm):
    text = forms.CharField(
        label=_("Texte de la synthèse"),
        max_length=50_000,
        widget=forms.Textarea(attrs={"rows": 12}),
    )
    publish_at = moment_field(
        _("Publier le (heure de Paris, facultatif)"),
        _("Laissez vide pour publier dès la clôture ; une date future programme la publication."),
    )

    class Meta:
        model = Results
        fields = ["text", "publish_at"]
