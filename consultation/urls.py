from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path, register_converter
from django.views.generic import TemplateView

from consultation import brand
from debates import moderation_views, views, write_views


class NumberConverter:
    """A public contribution number: digits only, bounded so no lookup overflows."""

    regex = r"[0-9]{1,15}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(NumberConverter, "number")

# Staff sign in to the admin through allauth, so two-factor authentication applies.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]

handler404 = "debates.views.page_not_found"
handler403 = "debates.views.permission_denied"
# A database connection error raised outside a view answers 503, not 500.
handler500 = "consultation.middleware.server_error"

urlpatterns = [
    path("", views.home, name="home"),
    path("contributions/<number:number>/", views.permalink, name="permalink"),
    path("consultations/<slug:slug>/", views.consultation_detail, name="consultation"),
    # A consultation's own pages come before its debates': their names are
    # reserved words that no debate slug may take (Debate.RESERVED_SLUGS).
    path(
        "consultations/<slug:slug>/moderation/",
        moderation_views.moderation_log,
        name="moderation_log",
    ),
    path("", include("debates.opendata.urls")),
    path("", include("answers.urls")),
    path("consultations/<slug:consultation>/<slug:slug>/", views.debate_detail, name="debate"),
    path(
        "consultations/<slug:consultation>/<slug:slug>/proposer/",
        write_views.proposal_create,
        name="proposal_create",
    ),
    path(
        "consultations/<slug:consultation>/<slug:debate>/<number:number>/",
        views.proposal_detail,
        name="proposal",
    ),
    path(
        "consultations/<slug:consultation>/<slug:debate>/<number:number>/arguments/",
        write_views.argument_create,
        name="argument_create",
    ),
    path(
        "consultations/<slug:consultation>/<slug:debate>/<number:number>/sources/",
        write_views.source_create,
        name="source_create",
    ),
    path(
        "consultations/<slug:consultation>/<slug:debate>/<number:number>/vote/",
        write_views.vote,
        name="vote",
    ),
    path("contributions/<number:number>/accord/", write_views.endorse, name="endorse"),
    path("contributions/<number:number>/modifier/", write_views.edit, name="edit"),
    path("contributions/<number:number>/signaler/", moderation_views.report, name="report"),
    path("comptes/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("", include("followups.urls")),
    path("admin/", admin.site.urls),
    path("brand.css", brand.stylesheet, name="brand_css"),
    path(
        "a-propos/",
        TemplateView.as_view(template_name="about.html"),
        name="about",
    ),
    path(
        "accessibilite/",
        TemplateView.as_view(template_name="accessibility.html"),
        name="accessibility",
    ),
]
