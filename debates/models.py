"""The domain: consultations, debates, and numbered contributions.

Proposals, arguments and sources are all contributions: they share one table
(multi-table inheritance) so that their public numbers come from one sequence
and are unique across the three kinds by a database constraint, and so that a
permalink, a report or a moderation action can point at any of them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, F, Q, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Phase(models.TextChoices):
    """Where a consultation stands in its calendar, derived from its dates."""

    UPCOMING = "upcoming", _("à venir")
    OPEN = "open", _("ouverte")
    CLOSED = "closed", _("fermée")


class ConsultationQuerySet(models.QuerySet["Consultation"]):
    # The closing gate, for sets. Consultation.phase_at holds the same rule for
    # one instance; tests assert that both agree at every boundary.
    def open(self, now: datetime | None = None) -> ConsultationQuerySet:
        """Return consultations open at `now`: opens_at <= now < closes_at."""
        now = now or timezone.now()
        return self.filter(opens_at__lte=now, closes_at__gt=now)

    def upcoming(self, now: datetime | None = None) -> ConsultationQuerySet:
        """Return consultations that have not opened yet at `now`."""
        return self.filter(opens_at__gt=now or timezone.now())

    def closed(self, now: datetime | None = None) -> ConsultationQuerySet:
        """Return consultations closed at `now` (the end is exclusive)."""
        return self.filter(closes_at__lte=now or timezone.now())

    def published(self) -> ConsultationQuerySet:
        """Return consultations the public can see (not drafts)."""
        return self.filter(is_draft=False)

    def visible_to(self, user: object) -> ConsultationQuerySet:
        """Return what `user` may read: published ones, and drafts to staff and organisers."""
        if getattr(user, "is_staff", False):
            return self
        if getattr(user, "is_authenticated", False):
            return self.filter(Q(is_draft=False) | Q(organisers=user)).distinct()
        return self.published()

    def for_home(self) -> ConsultationQuerySet:
        """Return every consultation with its debate count, soonest closing first."""
        # distinct: visible_to() may join organisers, which would multiply debates.
        return self.annotate(debate_count=Count("debates", distinct=True)).order_by(
            "closes_at", "pk"
        )


class Consultation(models.Model):
    """The whole exercise: a title, a calendar and its organisers."""

    title = models.CharField(_("titre"), max_length=200)
    slug = models.SlugField(_("adresse"), max_length=100, unique=True)
    description = models.TextField(_("présentation"), blank=True)
    opens_at = models.DateTimeField(_("ouverture"))
    closes_at = models.DateTimeField(_("clôture"))
    organisers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("organisateurs"),
        related_name="organised_consultations",
        blank=True,
    )
    is_draft = models.BooleanField(
        _("brouillon"),
        default=False,
        help_text=_("Un brouillon n'est visible que de ses organisateurs et de l'équipe."),
    )
    requires_verified_accounts = models.BooleanField(
        _("réservée aux comptes vérifiés"),
        default=False,
        help_text=_("Seuls les comptes vérifiés peuvent alors proposer, argumenter et voter."),
    )
    created_at = models.DateTimeField(_("créée le"), default=timezone.now, editable=False)
    # Distinct authors and voters: a stored counter kept with `Participation`
    # (debates/counters.py), left out of the history like every counter.
    participant_count = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    history = HistoricalRecords(m2m_fields=[organisers], excluded_fields=["participant_count"])

    COUNTERS: ClassVar[frozenset[str]] = frozenset({"participant_count"})

    objects = ConsultationQuerySet.as_manager()

    class Meta:
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")
        ordering = ["-opens_at"]
        constraints = [
            models.CheckConstraint(
                name="consultation_closes_after_opens",
                condition=Q(closes_at__gt=F("opens_at")),
                violation_error_message=_(
                    "La date de clôture doit être postérieure à la date d'ouverture."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: object, **kwargs: object) -> None:
        _keep_counters(self, kwargs)
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def get_absolute_url(self) -> str:
        return reverse("consultation", kwargs={"slug": self.slug})

    def phase_at(self, now: datetime | None = None) -> Phase:
        """Return the phase at `now`: the one closing gate for an instance."""
        now = now or timezone.now()
        if now < self.opens_at:
            return Phase.UPCOMING
        if now < self.closes_at:
            return Phase.OPEN
        return Phase.CLOSED

    @property
    def phase(self) -> Phase:
        """Return the phase now."""
        return self.phase_at()

    @property
    def is_open(self) -> bool:
        """Return whether participation is open now."""
        return self.phase_at() == Phase.OPEN

    @property
    def is_closed(self) -> bool:
        """Return whether the closing date has passed."""
        return self.phase_at() == Phase.CLOSED


class DebateQuerySet(models.QuerySet["Debate"]):
    def for_consultation_page(self) -> DebateQuerySet:
        """Return debates in their set order (`proposal_count` is a stored counter)."""
        return self.order_by("position", "pk")


class Debate(models.Model):
    """A theme of a consultation, holding proposals."""

    consultation = models.ForeignKey(
        Consultation,
        verbose_name=_("consultation"),
        on_delete=models.PROTECT,
        related_name="debates",
    )
    title = models.CharField(_("titre"), max_length=300)
    slug = models.SlugField(_("adresse"), max_length=100)
    introduction = models.TextField(_("introduction"), blank=True)
    position = models.PositiveIntegerField(_("rang"), default=0)
    # A stored counter (debates/counters.py): kept by F() updates in the
    # transaction of each post, rebuilt by `manage.py recount`; left out of the
    # history, which it would flood with one version per post.
    proposal_count = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    history = HistoricalRecords(excluded_fields=["proposal_count"])

    objects = DebateQuerySet.as_manager()

    COUNTERS: ClassVar[frozenset[str]] = frozenset({"proposal_count"})

    # Addresses of a consultation's own pages, which a debate slug would shadow.
    RESERVED_SLUGS: ClassVar[frozenset[str]] = frozenset(
        {"moderation", "recherche", "statistiques", "export", "exports", "flux", "feed", "synthese"}
    )

    class Meta:
        verbose_name = _("débat")
        verbose_name_plural = _("débats")
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["consultation", "slug"], name="debate_slug_unique_in_consultation"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: object, **kwargs: object) -> None:
        _keep_counters(self, kwargs)
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def get_absolute_url(self) -> str:
        return reverse("debate", kwargs={"consultation": self.consultation.slug, "slug": self.slug})

    def clean(self) -> None:
        if self.slug in self.RESERVED_SLUGS:
            raise ValidationError(
                {
                    "slug": _("« %(slug)s » est réservé : choisissez une autre adresse.")
                    % {"slug": self.slug}
                }
            )


class Kind(models.TextChoices):
    PROPOSAL = "proposal", _("proposition")
    ARGUMENT = "argument", _("argument")
    SOURCE = "source", _("source")


class NumberSequence(models.Model):
    """The one public numbering sequence: a single row holding the last number given.

    Numbers are taken by `next_number()` inside the transaction that saves the
    contribution; the row lock (PostgreSQL) or the database write lock (SQLite)
    makes two posts at the same instant queue, so each gets its own number.
    """

    last = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("séquence de numérotation")
        constraints = [models.CheckConstraint(name="one_sequence_row", condition=Q(pk=1))]

    def __str__(self) -> str:
        return f"#{self.last}"

    @classmethod
    def next_number(cls) -> int:
        """Return a fresh public number; call inside a transaction."""
        cls.objects.get_or_create(pk=1)
        # UPDATE … SET last = last + 1 takes the lock and increments in one
        # statement; reading it back inside the same transaction is then safe.
        cls.objects.filter(pk=1).update(last=F("last") + 1)
        return cls.objects.values_list("last", flat=True).get(pk=1)

    @classmethod
    def reserve_through(cls, number: int) -> None:
        """Make sure later numbers come after `number` (used by imports)."""
        cls.objects.get_or_create(pk=1)
        cls.objects.filter(pk=1, last__lt=number).update(last=number)


class HideReason(models.TextChoices):
    """Why moderation hid a contribution: shown publicly in its place."""

    OFF_TOPIC = "off_topic", _("Hors sujet")
    OFFENSIVE = "offensive", _("Propos injurieux ou haineux")
    SPAM = "spam", _("Publicité ou spam")
    PERSONAL_DATA = "personal_data", _("Données personnelles")
    DUPLICATE = "duplicate", _("Doublon")
    ILLEGAL = "illegal", _("Contenu illicite")
    OTHER = "other", _("Autre motif")
    # Not a moderation decision: imported contributions that the platform they
    # come from never published; kept (counts include them) but not shown.
    UNPUBLISHED = "unpublished", _("Non publiée sur la plateforme d'origine")


def _keep_counters(instance: models.Model, kwargs: dict[str, object]) -> None:
    """Make a full save() of an existing row leave its stored counters alone.

    Counters change only through F() updates in the write's transaction
    (debates/counters.py); an instance loaded before a vote or a post would
    otherwise write its stale copy back (an admin save, a script).
    """
    counters: frozenset[str] = getattr(instance, "COUNTERS", frozenset())
    if instance._state.adding or kwargs.get("update_fields") is not None or not counters:
        return
    kwargs["update_fields"] = [
        field.name
        for field in instance._meta.concrete_fields
        if not field.primary_key and not field.generated and field.name not in counters
    ]


class ContributionQuerySet(models.QuerySet):  # type: ignore[type-arg]
    def of_consultation(self, consultation: Consultation | int) -> ContributionQuerySet:
        """Return the contributions of one consultation, through its indexed column."""
        return self.filter(consultation=consultation)

    def with_place(self) -> ContributionQuerySet:
        """Preload the concrete proposal, argument or source with its proposal, debate and
        consultation, so `concrete` and `proposal` cost no query."""
        return self.select_related(
            "as_proposal__debate__consultation",
            "as_argument__proposal__debate__consultation",
            "as_source__proposal__debate__consultation",
        )


# How far apart the two default timestamps of a new contribution may be read.
_SAME_INSTANT = timedelta(seconds=1)


class Contribution(models.Model):
    """What proposals, arguments and sources share: a public number, an author, dates."""

    number = models.PositiveBigIntegerField(_("numéro"), unique=True, editable=False)
    kind = models.CharField(_("type"), max_length=16, choices=Kind, editable=False)
    # Where the contribution belongs, stored on the row (set once, at the first
    # save, from its debate or proposal): lists, exports, statistics and search
    # read one consultation's rows through this index and never join through
    # debates and proposals, nor touch other consultations' rows.
    consultation = models.ForeignKey(
        Consultation,
        verbose_name=_("consultation"),
        on_delete=models.PROTECT,
        related_name="contributions",
        editable=False,
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("auteur"),
        on_delete=models.PROTECT,
        related_name="contributions",
    )
    created_at = models.DateTimeField(_("publiée le"), default=timezone.now)
    updated_at = models.DateTimeField(_("modifiée le"), default=timezone.now)
    original_number = models.PositiveBigIntegerField(
        _("numéro d'origine"),
        null=True,
        blank=True,
        help_text=_("Le numéro sur la plateforme d'origine, quand l'import a renuméroté."),
    )
    # A random token carried by the form: the same form posted twice (double
    # click, back and resubmit) finds the contribution it already created.
    submission_token = models.UUIDField(null=True, blank=True, editable=False)
    # Moderation hides, never deletes: the number, author line and place stay.
    hidden_at = models.DateTimeField(_("masquée le"), null=True, blank=True, editable=False)
    hidden_reason = models.CharField(
        _("motif du masquage"), max_length=32, choices=HideReason, blank=True, editable=False
    )
    hidden_note = models.TextField(_("précision publique du masquage"), blank=True, editable=False)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("masquée par"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    objects = ContributionQuerySet.as_manager()

    class Meta:
        verbose_name = _("contribution")
        verbose_name_plural = _("contributions")
        ordering = ["number"]
        permissions = [("moderate_contribution", _("Masquer et rétablir des contributions"))]
        indexes = [models.Index(fields=["author", "created_at"], name="contribution_author_time")]
        constraints = [
            models.CheckConstraint(name="contribution_number_positive", condition=Q(number__gt=0)),
            models.UniqueConstraint(
                fields=["author", "submission_token"], name="one_contribution_per_submission"
            ),
            models.CheckConstraint(
                name="hidden_has_reason",
                condition=Q(hidden_at__isnull=True, hidden_reason="")
                | (Q(hidden_at__isnull=False) & ~Q(hidden_reason="")),
            ),
        ]

    KIND: ClassVar[str] = ""

    def __str__(self) -> str:
        return f"#{self.number}"

    def save(self, *args: object, **kwargs: object) -> None:
        # Bookkeeping only: the subclass says which kind of row this is and
        # where it belongs; stored counters are never written back from memory.
        if not self.kind:
            self.kind = self.KIND
        if self._state.adding and timedelta(0) <= self.updated_at - self.created_at < _SAME_INSTANT:
            # Both defaults read the clock, microseconds apart: a new row is unedited.
            self.updated_at = self.created_at
        if self.consultation_id is None:
            self.consultation_id = self.place_consultation_id()
        _keep_counters(self, kwargs)
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def get_absolute_url(self) -> str:
        return reverse("permalink", kwargs={"number": self.number})

    def place_consultation_id(self) -> int:
        """Return the id of the consultation this contribution belongs to (from its place)."""
        raise NotImplementedError("a contribution is saved as a proposal, argument or source")

    @property
    def concrete(self) -> Proposal | Argument | Source:
        """Return the proposal, argument or source this row is (saving it writes history)."""
        if self.KIND:
            return self  # type: ignore[return-value]
        return getattr(self, f"as_{self.kind}")

    @property
    def thread(self) -> Proposal:
        """Return the proposal this contribution is, or belongs to."""
        item = self.concrete
        return item if item.kind == Kind.PROPOSAL else item.proposal  # type: ignore[union-attr]

    @property
    def anchor(self) -> str:
        """Return the HTML id of this contribution on its proposal page."""
        return f"contribution-{self.number}"

    @property
    def is_hidden(self) -> bool:
        """Return whether moderation hid this contribution."""
        return self.hidden_at is not None

    @property
    def was_edited(self) -> bool:
        """Return whether the text changed after publication, however soon after."""
        return self.updated_at > self.created_at


class ProposalQuerySet(ContributionQuerySet):
    def with_counts(self) -> ProposalQuerySet:
        """Return the proposals as they are: every count is a stored column now.

        Kept for callers written when counts were computed per request.
        """
        return self

    def with_hidden_counts(self) -> ProposalQuerySet:
        """Return the proposals as they are: hidden counts are stored columns too."""
        return self

    def most_discussed(self) -> ProposalQuerySet:
        """Return proposals with their author, most arguments and sources first.

        `discussion` is a stored generated column, indexed with the debate.
        """
        return self.select_related("author").order_by("-discussion", "-position")

    def for_proposal_page(self) -> ProposalQuerySet:
        """Return proposals with debate, consultation and author preloaded (counts are stored)."""
        return self.select_related("debate__consultation", "author")


def _counter() -> models.PositiveIntegerField:
    # Counters have no label: they are never a form field nor a column title.
    # PositiveIntegerField: the database refuses a count gone below zero.
    return models.PositiveIntegerField(default=0, db_default=0, editable=False)


def _sum_of(*names: str) -> models.GeneratedField:
    expression = F(names[0])
    for name in names[1:]:
        expression = expression + F(name)
    return models.GeneratedField(
        expression=expression, output_field=models.IntegerField(), db_persist=True
    )


# Stored counters of a proposal (debates/counters.py keeps and rebuilds them),
# left out of its history: a vote is not a new version of the proposal.
PROPOSAL_COUNTERS = frozenset(
    {
        "position",
        "arguments_for",
        "arguments_against",
        "source_count",
        "hidden_for",
        "hidden_against",
        "hidden_sources",
        "cast_agree",
        "cast_mixed",
        "cast_disagree",
    }
)
PROPOSAL_GENERATED = ["votes_agree", "votes_mixed", "votes_disagree", "discussion"]


class Proposal(Contribution):
    """A numbered text posted in a debate."""

    KIND = Kind.PROPOSAL
    COUNTERS = PROPOSAL_COUNTERS

    contribution_ptr = models.OneToOneField(
        Contribution,
        on_delete=models.PROTECT,
        parent_link=True,
        primary_key=True,
        related_name="as_proposal",
    )

    debate = models.ForeignKey(
        Debate, verbose_name=_("débat"), on_delete=models.PROTECT, related_name="proposals"
    )
    title = models.CharField(_("titre"), max_length=300)
    body = models.TextField(_("texte"))
    # Votes counted by the platform an imported consultation came from, whose
    # voters are not all known: they add to the votes cast here.
    imported_votes_agree = models.PositiveIntegerField(_("votes d'accord importés"), default=0)
    imported_votes_mixed = models.PositiveIntegerField(_("votes mitigés importés"), default=0)
    imported_votes_disagree = models.PositiveIntegerField(
        _("votes pas d'accord importés"), default=0
    )
    # The proposal's place in its debate in number order (1, 2, …): a page of
    # the debate by date is a range of positions, whatever its depth.
    position = _counter()
    # Arguments and sources, hidden ones included (the page says « dont n masqués »).
    arguments_for = _counter()
    arguments_against = _counter()
    source_count = _counter()
    hidden_for = _counter()
    hidden_against = _counter()
    hidden_sources = _counter()
    # Votes cast on this platform, by value; votes_* add the imported tallies.
    cast_agree = _counter()
    cast_mixed = _counter()
    cast_disagree = _counter()
    votes_agree = _sum_of("cast_agree", "imported_votes_agree")
    votes_mixed = _sum_of("cast_mixed", "imported_votes_mixed")
    votes_disagree = _sum_of("cast_disagree", "imported_votes_disagree")
    discussion = _sum_of("arguments_for", "arguments_against", "source_count")
    history = HistoricalRecords(excluded_fields=[*sorted(PROPOSAL_COUNTERS), *PROPOSAL_GENERATED])

    objects = ProposalQuerySet.as_manager()

    class Meta:
        verbose_name = _("proposition")
        verbose_name_plural = _("propositions")
        ordering = ["number"]
        indexes = [
            models.Index(fields=["debate", "position"], name="proposal_debate_position"),
            models.Index(
                fields=["debate", "-discussion", "-position"], name="proposal_debate_discussion"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.title}"

    def place_consultation_id(self) -> int:
        return self.debate.consultation_id

    def get_page_url(self) -> str:
        """Return the proposal page (the permalink redirects here)."""
        return reverse(
            "proposal",
            kwargs={
                "consultation": self.debate.consultation.slug,
                "debate": self.debate.slug,
                "number": self.number,
            },
        )


class Stance(models.TextChoices):
    FOR = "for", _("pour")
    AGAINST = "against", _("contre")


class ArgumentOrder(models.TextChoices):
    """The orders a reader can choose for the arguments of a proposal."""

    DEFAULT = "default", _("Ordre de la consultation")
    POPULAR = "popular", _("Les plus soutenus")
    RECENT = "recent", _("Les plus récents")
    OLDEST = "oldest", _("Les plus anciens")


# Each order as the stored columns it sorts on, all descending but OLDEST's
# (each has an index beginning with proposal and stance): a page after a given
# argument is a range of that index (keyset), never an offset.
ARGUMENT_ORDER_KEYS: dict[str, tuple[str, ...]] = {
    ArgumentOrder.DEFAULT: ("lead", "endorsement_count", "position"),
    ArgumentOrder.POPULAR: ("endorsement_count", "position"),
    ArgumentOrder.RECENT: ("position",),
    ArgumentOrder.OLDEST: ("position",),
}


class ArgumentQuerySet(ContributionQuerySet):
    def with_endorsement_count(self) -> ArgumentQuerySet:
        """Return the arguments as they are: `endorsement_count` is a stored column now."""
        return self

    def in_order(self, order: str) -> ArgumentQuerySet:
        """Return arguments in a reader's order (unknown values fall back to the default).

        Positions follow numbers, so « récents » and « anciens » are number
        order; the default keeps the order an imported consultation showed on
        its own platform (`lead`, from original_rank), then the most supported,
        newest first.
        """
        if order == ArgumentOrder.OLDEST:
            return self.order_by("position")
        keys = ARGUMENT_ORDER_KEYS.get(order, ARGUMENT_ORDER_KEYS[ArgumentOrder.DEFAULT])
        return self.order_by(*(f"-{key}" for key in keys))

    def for_proposal_page(self, proposal: Proposal, stance: str, order: str) -> ArgumentQuerySet:
        """Return one stance's arguments on a proposal in `order`, authors preloaded."""
        return (
            self.filter(proposal=proposal, stance=stance).select_related("author").in_order(order)
        )


ARGUMENT_COUNTERS = frozenset({"position", "endorsements_cast"})


class Argument(Contribution):
    """A numbered reply for or against a proposal."""

    KIND = Kind.ARGUMENT
    COUNTERS = ARGUMENT_COUNTERS

    contribution_ptr = models.OneToOneField(
        Contribution,
        on_delete=models.PROTECT,
        parent_link=True,
        primary_key=True,
        related_name="as_argument",
    )

    proposal = models.ForeignKey(
        Proposal, verbose_name=_("proposition"), on_delete=models.PROTECT, related_name="arguments"
    )
    stance = models.CharField(_("position"), max_length=8, choices=Stance)
    body = models.TextField(_("texte"))
    original_rank = models.PositiveIntegerField(
        _("rang d'origine"),
        null=True,
        blank=True,
        help_text=_("La place où la plateforme d'origine montrait cet argument."),
    )
    imported_endorsements = models.PositiveIntegerField(_("accords importés"), default=0)
    # Its place among the arguments of its stance in number order (1, 2, …).
    position = _counter()
    # « D'accord » given here; endorsement_count adds the imported ones.
    endorsements_cast = _counter()
    endorsement_count = _sum_of("endorsements_cast", "imported_endorsements")
    # original_rank as a descending key, unranked last: the first column of the default order.
    lead = models.GeneratedField(
        expression=Coalesce(Value(0) - F("original_rank"), Value(-(2**31))),
        output_field=models.IntegerField(),
        db_persist=True,
    )
    history = HistoricalRecords(
        excluded_fields=[*sorted(ARGUMENT_COUNTERS), "endorsement_count", "lead"]
    )

    objects = ArgumentQuerySet.as_manager()

    class Meta:
        verbose_name = _("argument")
        verbose_name_plural = _("arguments")
        ordering = ["number"]
        indexes = [
            models.Index(
                fields=["proposal", "stance", "position"], name="argument_stance_position"
            ),
            models.Index(
                fields=["proposal", "stance", "-endorsement_count", "-position"],
                name="argument_stance_popular",
            ),
            models.Index(
                fields=["proposal", "stance", "-lead", "-endorsement_count", "-position"],
                name="argument_stance_default",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                name="argument_stance_valid", condition=Q(stance__in=["for", "against"])
            ),
        ]

    def place_consultation_id(self) -> int:
        return self.proposal.consultation_id

    def page_query(self, page_size: int) -> str:
        """Return the query string of the proposal page that lists this argument.

        The permalink leads to the oldest-first order, where an argument's page
        follows from its stored position alone (no query) and never changes
        as others are posted or endorsed.
        """
        page = (max(self.position, 1) - 1) // page_size + 1
        param = "pour" if self.stance == Stance.FOR else "contre"
        return f"?ordre={ArgumentOrder.OLDEST}" + ("" if page == 1 else f"&{param}={page}")


class Source(Contribution):
    """A link deposited on a proposal."""

    KIND = Kind.SOURCE
    COUNTERS = frozenset({"position"})

    contribution_ptr = models.OneToOneField(
        Contribution,
        on_delete=models.PROTECT,
        parent_link=True,
        primary_key=True,
        related_name="as_source",
    )

    proposal = models.ForeignKey(
        Proposal, verbose_name=_("proposition"), on_delete=models.PROTECT, related_name="sources"
    )
    title = models.CharField(_("titre"), max_length=300)
    url = models.URLField(_("adresse"), max_length=2000)
    description = models.TextField(_("description"), blank=True)
    category = models.CharField(
        _("catégorie"),
        max_length=100,
        blank=True,
        help_text=_("Le type de source, par exemple « Site internet » ou « Article de presse »."),
    )
    # Its place among the proposal's sources in number order (1, 2, …).
    position = _counter()
    history = HistoricalRecords(excluded_fields=["position"])

    objects = ContributionQuerySet.as_manager()

    class Meta:
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        ordering = ["number"]
        indexes = [models.Index(fields=["proposal", "position"], name="source_proposal_position")]
        constraints = [
            # Forms and imports validate too; the database refuses a
            # javascript: or data: link whatever path tries to store it.
            models.CheckConstraint(
                name="source_url_is_http", condition=Q(url__regex=r"^https?://")
            ),
        ]

    def place_consultation_id(self) -> int:
        return self.proposal.consultation_id

    def page_query(self, page_size: int) -> str:
        """Return the query string of the proposal page that lists this source (no query)."""
        page = (max(self.position, 1) - 1) // page_size + 1
        return "" if page == 1 else f"?sources={page}"


class VoteValue(models.TextChoices):
    AGREE = "agree", _("D'accord")
    MIXED = "mixed", _("Mitigé")
    DISAGREE = "disagree", _("Pas d'accord")


class Vote(models.Model):
    """A citizen's position on a proposal; one per user and proposal."""

    proposal = models.ForeignKey(
        Proposal, verbose_name=_("proposition"), on_delete=models.PROTECT, related_name="votes"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("votant"),
        on_delete=models.PROTECT,
        related_name="votes",
    )
    value = models.CharField(_("vote"), max_length=16, choices=VoteValue)
    created_at = models.DateTimeField(_("voté le"), default=timezone.now)
    updated_at = models.DateTimeField(_("modifié le"), default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        constraints = [
            models.UniqueConstraint(fields=["proposal", "user"], name="one_vote_per_user"),
            models.CheckConstraint(
                name="vote_value_valid", condition=Q(value__in=["agree", "mixed", "disagree"])
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_value_display()} #{self.proposal_id}"


class Endorsement(models.Model):
    """A « D'accord » on an argument; one per user and argument."""

    argument = models.ForeignKey(
        Argument,
        verbose_name=_("argument"),
        on_delete=models.PROTECT,
        related_name="endorsements",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("auteur"),
        on_delete=models.PROTECT,
        related_name="endorsements",
    )
    created_at = models.DateTimeField(_("le"), default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("accord sur un argument")
        verbose_name_plural = _("accords sur des arguments")
        constraints = [
            models.UniqueConstraint(fields=["argument", "user"], name="one_endorsement_per_user"),
        ]

    def __str__(self) -> str:
        return f"+1 #{self.argument_id}"


class ReportReason(models.TextChoices):
    OFF_TOPIC = "off_topic", _("Hors sujet")
    OFFENSIVE = "offensive", _("Propos injurieux ou haineux")
    SPAM = "spam", _("Publicité ou spam")
    PERSONAL_DATA = "personal_data", _("Données personnelles")
    OTHER = "other", _("Autre")


class ReportQuerySet(models.QuerySet["Report"]):
    def open(self) -> ReportQuerySet:
        """Return reports no moderator has dealt with yet."""
        return self.filter(resolved_at__isnull=True)


class Report(models.Model):
    """A citizen's « Signaler » on a contribution; one per user and contribution."""

    contribution = models.ForeignKey(
        Contribution,
        verbose_name=_("contribution"),
        on_delete=models.PROTECT,
        related_name="reports",
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("signalé par"),
        on_delete=models.PROTECT,
        related_name="reports",
    )
    reason = models.CharField(_("motif"), max_length=32, choices=ReportReason)
    comment = models.TextField(_("commentaire"), blank=True, max_length=1000)
    created_at = models.DateTimeField(_("signalé le"), default=timezone.now)
    resolved_at = models.DateTimeField(_("traité le"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("traité par"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    history = HistoricalRecords()

    objects = ReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("signalement")
        verbose_name_plural = _("signalements")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["contribution", "reporter"], name="one_report_per_user"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} #{self.contribution_id}"


class ReportedContribution(Contribution):
    """The admin's moderation queue: contributions with reports, open ones first."""

    class Meta:
        proxy = True
        verbose_name = _("file de modération")
        verbose_name_plural = _("file de modération")


class ModerationAction(models.TextChoices):
    HIDE = "hide", _("Masquage")
    UNHIDE = "unhide", _("Rétablissement")


class ModeratorRole(models.TextChoices):
    MODERATOR = "moderator", _("Modération")
    ORGANISER = "organiser", _("Organisateurs")
    ADMINISTRATOR = "administrator", _("Administration")


class ModerationEvent(models.Model):
    """One line of the public moderation log of a consultation.

    Written by `debates.moderation` with every hide and unhide; the public sees
    the role of who acted, never the name (kept in `actor` for the admin).
    """

    consultation = models.ForeignKey(
        Consultation,
        verbose_name=_("consultation"),
        on_delete=models.PROTECT,
        related_name="moderation_events",
    )
    contribution = models.ForeignKey(
        Contribution,
        verbose_name=_("contribution"),
        on_delete=models.PROTECT,
        related_name="moderation_events",
    )
    action = models.CharField(_("action"), max_length=16, choices=ModerationAction)
    reason = models.CharField(_("motif"), max_length=32, choices=HideReason, blank=True)
    note = models.TextField(_("précision"), blank=True)
    role = models.CharField(_("rôle"), max_length=16, choices=ModeratorRole)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("par"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    at = models.DateTimeField(_("le"), default=timezone.now)

    class Meta:
        verbose_name = _("action de modération")
        verbose_name_plural = _("journal de modération")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["consultation", "-at"], name="moderation_log")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} #{self.contribution_id}"


class CalendarChangeKind(models.TextChoices):
    RESCHEDULED = "rescheduled", _("Calendrier modifié")
    EXTENDED = "extended", _("Clôture prolongée")
    CLOSED_NOW = "closed_now", _("Clôture anticipée")
    REOPENED = "reopened", _("Réouverture")


class CalendarChange(models.Model):
    """A change of a consultation's dates, shown on its page as a dated notice."""

    consultation = models.ForeignKey(
        Consultation,
        verbose_name=_("consultation"),
        on_delete=models.PROTECT,
        related_name="calendar_changes",
    )
    kind = models.CharField(_("type"), max_length=16, choices=CalendarChangeKind)
    previous_opens_at = models.DateTimeField(_("ancienne ouverture"))
    previous_closes_at = models.DateTimeField(_("ancienne clôture"))
    opens_at = models.DateTimeField(_("nouvelle ouverture"))
    closes_at = models.DateTimeField(_("nouvelle clôture"))
    at = models.DateTimeField(_("le"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("par"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("changement de calendrier")
        verbose_name_plural = _("changements de calendrier")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.consultation_id})"


class Participation(models.Model):
    """How many contributions and current votes an account has in a consultation.

    Derived data (debates/counters.py keeps it in each post's and vote's
    transaction and rebuilds it): an account counts as a participant while
    its weight is above zero, so the statistics read one stored number.
    """

    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="participations"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="participations"
    )
    weight = models.PositiveIntegerField(default=0, db_default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["consultation", "user"], name="one_participation"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} × {self.weight}"


class DailyTally(models.Model):
    """How many contributions a consultation received on one day (site time zone).

    Derived data, kept by each post and rebuilt by `manage.py recount`: the
    statistics' chart reads one row per day instead of every contribution.
    """

    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="daily_tallies"
    )
    day = models.DateField()
    contributions = models.PositiveIntegerField(default=0, db_default=0)

    class Meta:
        ordering = ["day"]
        constraints = [
            models.UniqueConstraint(fields=["consultation", "day"], name="one_tally_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day}: {self.contributions}"
