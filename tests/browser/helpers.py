"""Shared steps of the browser tests: demo data, personas, signing in, walking by keyboard.

Plain functions only (no fixtures): each test module declares its few fixtures
and calls these. Page-side measurements are small `page.evaluate` scripts kept
here so the three test modules read as the user's story.
"""

from __future__ import annotations

import importlib
import io
import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.mail import EmailMessage
from django.core.management import call_command
from django.test import Client

from accounts.models import User
from debates.models import Proposal
from tests.browser.conftest import ARTIFACTS
from tests.conftest import PASSWORD, make_user

OPEN_SLUG = "budget-participatif-2026"
OPEN_TITLE = "Budget participatif 2026 de Val-d'Exemple"
OPEN_DEBATE = "Se déplacer autrement dans la commune"
OPEN_PROPOSAL = 2001  # « Un abri vélo sécurisé à la gare »: arguments #2004 pour, #2007 contre
OPEN_PROPOSAL_TITLE = "Un abri vélo sécurisé à la gare"
CLOSED_SLUG = "cnnum-2014"
CLOSED_TITLE = "Ambition numérique (CNNum, 2014)"
CLOSED_PROPOSAL = 694
PERMALINK_ARGUMENT = 1438
SCREENSHOTS = ARTIFACTS / "screenshots"

MODERATORS = "Modérateurs"
ORGANISERS = "Organisateurs"


def load_demo() -> None:
    """Load both demo consultations (the command prints its summary; keep it quiet)."""
    call_command("load_demo", stdout=io.StringIO())


def proposal_path(number: int) -> str:
    return Proposal.objects.select_related("debate__consultation").get(number=number).get_page_url()


# Personas


def ensure_group(name: str) -> Group:
    """Return the « Modérateurs » or « Organisateurs » group with its permissions.

    A data migration creates them, but `transactional_db` flushes every table
    after each test, so a later test finds them gone: rebuild from the
    migration's own table of grants.
    """
    migration = importlib.import_module("debates.migrations.0006_moderation_groups")
    grants = {MODERATORS: migration.MODERATORS, ORGANISERS: migration.ORGANISERS}[name]
    group, _ = Group.objects.get_or_create(name=name)
    for app_label, models in grants.items():
        for model, actions in models.items():
            for action in actions:
                group.permissions.add(
                    Permission.objects.get(
                        content_type__app_label=app_label,
                        codename=migration.codename(action, model),
                    )
                )
    return group


def staff_with_totp(username: str, display_name: str, group: str) -> tuple[User, str]:
    """Create a staff member of `group` with a TOTP authenticator; return it and its secret."""
    user = make_user(username, display_name, is_staff=True)
    user.groups.add(ensure_group(group))
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return user, secret


def totp_code(secret: str) -> str:
    """Return the code an authenticator app shows now, never one about to expire.

    allauth accepts only the current period (no tolerance): a code read in the
    last two seconds of its period could be stale by the time it is posted.
    """
    period = mfa_settings.TOTP_PERIOD
    left = period - time.time() % period
    if left < 2:
        time.sleep(left + 0.05)
    return format_hotp_value(hotp_value(secret, int(time.time()) // period))


# Signing in


def sign_in_with_cookie(page: Any, base_url: str, user: User) -> None:
    """Give the browser context a session of `user` (for pages, not for sign-in journeys)."""
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base_url}]
    )


def sign_in_through_form(page: Any, base_url: str, email: str, next_path: str = "") -> None:
    """Sign in on /comptes/login/ as a person would, with the mouse."""
    query = f"?next={next_path}" if next_path else ""
    page.goto(f"{base_url}/comptes/login/{query}")
    page.get_by_label("Courriel").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Connexion").click()


def sign_in_staff(page: Any, base_url: str, email: str, secret: str, next_path: str) -> None:
    """Sign a staff member in with password, then the two-factor code."""
    sign_in_through_form(page, base_url, email, next_path)
    page.wait_for_url("**/comptes/2fa/authenticate/")
    page.locator("#id_code").fill(totp_code(secret))
    page.locator("main").get_by_role("button", name="Connexion").click()
    page.wait_for_url(f"**{next_path}")


def confirmation_path(mailoutbox: list[EmailMessage], email: str) -> str:
    """Return the path of the confirmation link mailed to `email`."""
    sent = [message for message in mailoutbox if email in message.to]
    assert sent, f"no email sent to {email}: {[m.to for m in mailoutbox]}"
    found = re.search(r"https?://\S+/comptes/confirm-email/\S+/", sent[-1].body)
    assert found, sent[-1].body
    return urlparse(found.group(0)).path


def published_number(page: Any) -> int:
    """Read the number announced in « Votre argument est publié sous le numéro #… »."""
    message = page.locator(".messages").inner_text()
    found = re.search(r"publié sous le numéro #(\d+)", message)
    assert found, f"no publication message in {message!r}"
    return int(found.group(1))


def vote_counts(page: Any) -> dict[str, int]:
    """Return the three vote counts shown on a proposal page, by their French label."""
    text = page.locator(".vote-counts").inner_text().replace("\xa0", " ")
    return {label.strip(): int(n) for label, n in re.findall(r"([^:·]+?) : (\d+)", text)}


# Measurements in the page

FOCUS_STYLE_JS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  const shadow = style.boxShadow && style.boxShadow !== "none";
  return {
    describe: el.outerHTML.slice(0, 120),
    visible: Boolean(outline || shadow),
    outline: `${style.outlineStyle} ${style.outlineWidth} ${style.outlineColor}`,
  };
}"""

HEADINGS_JS = """() => [...document.querySelectorAll("h1, h2, h3, h4, h5, h6")]
  .filter(h => h.getClientRects().length || h.closest("details"))
  .map(h => [Number(h.tagName[1]), h.textContent.trim().replace(/\\s+/g, " ").slice(0, 60)])"""

LANDMARKS_JS = """() => {
  const top = (el) => !el.parentElement.closest("article, aside, main, nav, section");
  return {
    banners: [...document.querySelectorAll("header")].filter(top).length,
    mains: [...document.querySelectorAll("main")].map(m => m.id),
    contentinfos: [...document.querySelectorAll("footer")].filter(top).length,
    navs: [...document.querySelectorAll("nav")]
      .map(n => (n.getAttribute("aria-label") || "").trim()),
  };
}"""

DUPLICATE_IDS_JS = """() => {
  const seen = {};
  document.querySelectorAll("[id]").forEach(el => { seen[el.id] = (seen[el.id] || 0) + 1; });
  return Object.entries(seen).filter(([, n]) => n > 1);
}"""

TARGETS_JS = """(selector) => [...document.querySelectorAll(selector)]
  .filter(el => el.getClientRects().length && getComputedStyle(el).visibility !== "hidden")
  .filter(el => !el.closest(".visually-hidden, .skip-link"))
  .map(el => { const r = el.getBoundingClientRect();
    const text = (el.innerText || el.value || "").trim().slice(0, 40);
    return {what: `${el.tagName.toLowerCase()} « ${text} »`,
            width: Math.round(r.width * 10) / 10, height: Math.round(r.height * 10) / 10}; })"""

REQUIRED_JS = """() => [...document.querySelectorAll(
    "input[required], textarea[required], select[required], [aria-required=true]")]
  .filter(el => el.type !== "hidden")
  .map(el => {
    let text = "";
    if (el.type === "radio" || el.type === "checkbox" && el.closest("fieldset")) {
      const legend = el.closest("fieldset")?.querySelector("legend");
      text = legend ? legend.textContent : "";
    } else {
      text = [...(el.labels || [])].map(l => l.textContent).join(" ");
      const by = el.getAttribute("aria-labelledby");
      if (by) text += " " + by.split(/\\s+/)
        .map(id => document.getElementById(id)?.textContent || "").join(" ");
    }
    return {control: el.outerHTML.slice(0, 100), label: text.replace(/\\s+/g, " ").trim()};
  })"""

ERRORS_JS = """() => {
  const alerting = (el) => Boolean(el && el.closest("[role=alert]"));
  const described = [...document.querySelectorAll("[aria-describedby]")];
  const referenced = new Set(
    described.flatMap(el => el.getAttribute("aria-describedby").split(/\\s+/)));
  const messages = [...document.querySelectorAll(".field-errors, .form-errors, .errorlist")]
    .filter(el => el.textContent.trim());
  return {
    messages: messages.map(el => ({
      text: el.textContent.trim().replace(/\\s+/g, " ").slice(0, 80),
      id: el.id,
      alert: alerting(el),
      fieldError: el.classList.contains("field-errors"),
      linked: Boolean(el.id && referenced.has(el.id)),
    })),
    invalid: [...document.querySelectorAll("[aria-invalid=true]")].map(el => {
      // A radio or checkbox group may carry the link on its fieldset.
      const group = (el.type === "radio" || el.type === "checkbox") ? el.closest("fieldset") : null;
      const ids = [el, group].filter(Boolean)
        .flatMap(node => (node.getAttribute("aria-describedby") || "").split(/\\s+/))
        .filter(Boolean);
      const targets = ids.map(id => document.getElementById(id)).filter(Boolean);
      return {
        control: el.outerHTML.slice(0, 100),
        describedByAlert: targets.some(t => alerting(t) && t.textContent.trim()),
      };
    }),
  };
}"""


def focus_problem(page: Any) -> str | None:
    """Describe the focused element when its focus is not visible; None when it is."""
    state = page.evaluate(FOCUS_STYLE_JS)
    if state is None or state["visible"]:
        return None
    return f"no visible focus (outline {state['outline']}, no box-shadow) on {state['describe']}"


class Keyboard:
    """A person using only the keyboard: Tab, Shift+Tab, Enter, Space and typing.

    Every element reached by Tab is checked for a visible focus indicator;
    problems are collected in `self.invisible_focus` for the test to assert.
    """

    def __init__(self, page: Any, limit: int = 120) -> None:
        self.page = page
        self.limit = limit
        self.invisible_focus: list[str] = []
        self.stops = 0

    def focused_matches(self, selector: str) -> bool:
        return self.page.evaluate(
            "(s) => Boolean(document.activeElement && document.activeElement.matches(s))",
            selector,
        )

    def focused(self) -> str:
        return self.page.evaluate(
            "() => document.activeElement ? document.activeElement.outerHTML.slice(0, 120) : ''"
        )

    def press_tab(self, backwards: bool = False) -> None:
        self.page.keyboard.press("Shift+Tab" if backwards else "Tab")
        self.stops += 1
        problem = focus_problem(self.page)
        if problem and (where := f"{self.page.url}: {problem}") not in self.invisible_focus:
            self.invisible_focus.append(where)

    def tab_to(self, selector: str, backwards: bool = False) -> None:
        """Press Tab (or Shift+Tab) until the focused element matches `selector`."""
        for _ in range(self.limit):
            self.press_tab(backwards)
            if self.focused_matches(selector):
                return
        raise AssertionError(
            f"{'Shift+' if backwards else ''}Tab never reached {selector} on {self.page.url} "
            f"within {self.limit} stops; focus is on {self.focused()}"
        )

    def next_is(self, selector: str) -> None:
        """Press Tab once and require the focus to land on `selector` (the reading order)."""
        self.press_tab()
        assert self.focused_matches(selector), (
            f"after one Tab the focus is on {self.focused()}, expected {selector}"
        )

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)

    def activate(self, key: str = "Enter") -> None:
        """Press Enter or Space on the focused link or button and wait for the next page."""
        with self.page.expect_navigation():
            self.page.keyboard.press(key)


def screenshot_path(name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / name
