from __future__ import annotations

from django import forms

from followups.models import NotificationSettings


class NotificationSettingsForm(forms.ModelForm):
    class Meta:
        model = NotificationSettings
        fields = ["replies", "moderation", "answers", "calendar", "results", "frequency"]
        widgets = {"frequency": forms.RadioSelect}
