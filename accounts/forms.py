"""Account forms: the display name asked at signup and changed on the account page."""

from __future__ import annotations

from django import forms
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.display_names import validate_display_name
from accounts.models import User


class SignupForm(forms.Form):
    """Extra signup fields for allauth (ACCOUNT_SIGNUP_FORM_CLASS)."""

    display_name = forms.CharField(
        label=_("Nom affiché"),
        max_length=150,
        help_text=_("Le nom montré sur vos contributions : votre nom ou un pseudonyme."),
        validators=[validate_display_name],
    )

    def signup(self, request: HttpRequest, user: User) -> None:
        user.display_name = self.cleaned_data["display_name"]
        user.save(update_fields=["display_name"])


class DisplayNameForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["display_name", "language"]
        labels = {"display_name": _("Nom affiché"), "language": _("Langue des courriels")}

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["display_name"].required = True
        self.fields["language"].required = False

    def clean_display_name(self) -> str:
        name = self.cleaned_data["display_name"]
        validate_display_name(name)
        return name

    def clean_language(self) -> str:
        # Left out of the form, the language stays as it was.
        return self.cleaned_data.get("language") or self.instance.language


class DeleteAccountForm(forms.Form):
    confirm = forms.CharField(label=_("Pour confirmer, écrivez SUPPRIMER"), max_length=20)

    def clean_confirm(self) -> str:
        # The word to type follows the language of the page (« DELETE » in English);
        # the French word is always accepted.
        value = self.cleaned_data["confirm"].strip().upper()
        if value not in {"SUPPRIMER", gettext("SUPPRIMER").upper()}:
            raise forms.ValidationError(_("Écrivez SUPPRIMER pour confirmer la suppression."))
        return value
