# Run inside `manage.py shell -c` by the harness: the cluster's citizens and
# consultations. Prints one JSON line: what the scenarios need to know.
import json
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from debates import actions
from debates.models import Consultation, Debate

PASSWORD = "cluster horse battery staple"
now = timezone.now()


# One hash for every citizen: PBKDF2 costs about a second each on a busy machine.
HASHED = make_password(PASSWORD)


def citizen(name):
    user = User.objects.create(
        username=name, email=f"{name}@cluster.test", password=HASHED, display_name=name.title()
    )
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)
    return user


citizens = [citizen(f"citoyen{i:02d}") for i in range(16)]


def consultation(slug, closes_at):
    c = Consultation.objects.create(
        slug=slug,
        title=f"Consultation {slug}",
        description="Consultation du banc d'essai.",
        opens_at=now - timedelta(days=1),
        closes_at=closes_at,
    )
    debate = Debate.objects.create(
        consultation=c, slug="theme", title="Thème", introduction="Intro."
    )
    proposals = [
        actions.post_proposal(
            debate=debate, author=citizens[i], title=f"Proposition {i}", body="Texte."
        )
        for i in range(4)
    ]
    return {
        "slug": slug,
        "url": c.get_absolute_url(),
        "debate_url": debate.get_absolute_url(),
        "proposals": [
            {
                "number": p.number,
                "url": reverse("proposal", args=[slug, debate.slug, p.number]),
                "pk": p.pk,
            }
            for p in proposals
        ],
    }


print(
    json.dumps(
        {
            "password": PASSWORD,
            "citizens": [u.email for u in citizens],
            "load": consultation("charge", now + timedelta(days=30)),
            "closing": consultation("cloture", now + timedelta(days=30)),
        }
    )
)
