"""The back office in English or French: each user's saved choice first, the
browser's Accept-Language for everyone else; every message has a French text."""

import ast
import gettext
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation

from tenants.models import UserPreference

pytestmark = pytest.mark.django_db
PO = Path(settings.BASE_DIR) / "locale" / "fr" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
LANGUAGE_URL = "/account/language/"


def choose(client: Client, language: str, **extra: Any) -> Any:
    return client.post(LANGUAGE_URL, {"language": language, **extra})


def test_it_serves_the_language_page_at_a_stable_address() -> None:
    assert reverse("account_language") == LANGUAGE_URL


def test_a_user_who_picked_french_sees_the_back_office_in_french(
    owner_client: Client, org: Any, survey: Any
) -> None:
    response = choose(owner_client, "fr", next=f"/o/{org.slug}/settings/")
    assert response.status_code == 302 and response["Location"] == f"/o/{org.slug}/settings/"

    settings_page = owner_client.get(f"/o/{org.slug}/settings/").content.decode()
    assert "Paramètres" in settings_page and "Secret d'identité" in settings_page
    assert "Vérification d'identité" in settings_page
    surveys = owner_client.get(f"/o/{org.slug}/surveys/").content.decode()
    assert "Enquêtes" in surveys and "NPS client" in surveys and "Active" in surveys
    overview = owner_client.get(f"/o/{org.slug}/")
    assert overview.status_code == 200 and overview["Content-Language"] == "fr"
    assert "Vue d'ensemble" in overview.content.decode()


def test_the_choice_follows_the_user_to_another_browser(
    owner: Any, owner_client: Client, org: Any
) -> None:
    choose(owner_client, "fr")
    elsewhere = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    elsewhere.force_login(owner)
    page = elsewhere.get(f"/o/{org.slug}/settings/").content.decode()
    assert "Paramètres" in page
    assert UserPreference.objects.get(user=owner).language == "fr"


def test_a_saved_english_beats_a_french_browser(owner: Any, org: Any) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9")
    client.force_login(owner)
    assert "Paramètres" in client.get(f"/o/{org.slug}/settings/").content.decode()
    choose(client, "en")
    page = client.get(f"/o/{org.slug}/settings/").content.decode()
    assert "Settings" in page and "Paramètres" not in page


def test_an_empty_choice_follows_the_browser_again(owner: Any, org: Any) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    client.force_login(owner)
    choose(client, "en")
    choose(client, "")
    assert UserPreference.objects.get(user=owner).language == ""
    assert "Paramètres" in client.get(f"/o/{org.slug}/settings/").content.decode()


def test_an_anonymous_french_visitor_sees_the_login_page_in_french(db: None) -> None:
    response = Client(HTTP_ACCEPT_LANGUAGE="fr-CA,fr;q=0.9,en;q=0.5").get("/accounts/login/")
    assert response["Content-Language"] == "fr"
    assert "Mot de passe" in response.content.decode()


def test_an_anonymous_visitor_gets_english_by_default(db: None) -> None:
    response = Client().get("/accounts/login/")
    assert response["Content-Language"] == "en"
    assert "Password" in response.content.decode()


def test_an_anonymous_choice_is_kept_in_a_cookie(db: None) -> None:
    client = Client()
    response = choose(client, "fr", next="/accounts/login/")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"
    assert "Mot de passe" in client.get("/accounts/login/").content.decode()


def test_it_refuses_an_unknown_language_and_saves_nothing(owner: Any, owner_client: Client) -> None:
    assert choose(owner_client, "xx").status_code == 400
    assert not UserPreference.objects.filter(user=owner).exists()


def test_it_does_not_redirect_to_another_site(owner_client: Client) -> None:
    response = choose(owner_client, "fr", next="https://evil.test/")
    assert response["Location"] == LANGUAGE_URL


def test_the_widget_endpoints_stay_free_of_cookies_and_sessions(survey: Any) -> None:
    response = Client(HTTP_ACCEPT_LANGUAGE="fr").get("/widget.js")
    assert "Cookie" not in response.get("Vary", "")
    assert not response.cookies


def test_every_message_has_a_french_text() -> None:
    text = PO.read_text(encoding="utf-8")
    assert "#, fuzzy" not in text
    # An empty msgstr ends its entry: allowed only for the header, whose msgid is empty.
    empty = re.findall(r'^msgid "(.+)"\nmsgstr ""\n\n', text, flags=re.M)
    assert empty == []
    assert not re.search(r'^msgstr\[\d\] ""\n\n', text, flags=re.M)


GETTEXT_TOOLS = ("xgettext", "msguniq", "msgmerge", "msgattrib")


def _po_entries(text: str) -> list[tuple[str | None, str, list[str], bool]]:
    """(context, msgid, msgstrs, fuzzy) of each entry but the header."""
    entries = []
    for block in text.strip().split("\n\n"):
        fields: dict[str, str] = {}
        key = ""
        fuzzy = False
        for line in block.splitlines():
            if line.startswith("#,"):
                fuzzy = fuzzy or "fuzzy" in line
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                fields[key] += ast.literal_eval(line)
            else:
                key, _, value = line.partition(" ")
                fields[key] = ast.literal_eval(value)
        if fields.get("msgid"):
            strs = [v for k, v in fields.items() if k.startswith("msgstr")]
            entries.append((fields.get("msgctxt"), fields["msgid"], strs, fuzzy))
    return entries


@pytest.mark.skipif(
    not all(shutil.which(tool) for tool in GETTEXT_TOOLS),
    reason="gettext is not installed (apt-get install gettext): "
    "cannot check that every string in the code has a French text",
)
def test_every_string_in_the_code_has_a_french_text(
    tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`makemessages` on the code, merged into a copy of the committed catalogue:
    a string the catalogue lacks comes out empty or fuzzy."""
    base = Path(settings.BASE_DIR)
    # The project seen through symlinks, with a copy of `locale/` that makemessages may rewrite.
    for entry in base.iterdir():
        if entry.name != "locale" and not entry.name.startswith("."):
            (tmp_path / entry.name).symlink_to(entry)
    shutil.copytree(base / "locale", tmp_path / "locale")
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    monkeypatch.chdir(tmp_path)
    call_command("makemessages", locale=["fr"], symlinks=True, no_obsolete=True, verbosity=0)

    fresh = (tmp_path / "locale" / "fr" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    entries = _po_entries(fresh)
    assert len(entries) > 500  # the walk found the code
    lacking = [
        repr(msgid) + (f" (context {context!r})" if context else "") + (" (fuzzy)" * fuzzy)
        for context, msgid, strs, fuzzy in entries
        if fuzzy or not all(strs)
    ]
    assert not lacking, (
        f"{len(lacking)} string(s) of the code have no French text; run "
        "`manage.py makemessages -l fr --no-obsolete`, translate them in "
        "locale/fr/LC_MESSAGES/django.po, then `compilemessages`:\n  " + "\n  ".join(lacking[:30])
    )


@pytest.mark.skipif(not shutil.which("msgfmt"), reason="gettext is not installed")
def test_the_compiled_catalogue_matches_the_translations(tmp_path: Path) -> None:
    fresh = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "-o", str(fresh), str(PO)], check=True)  # noqa: S607
    with fresh.open("rb") as new, MO.open("rb") as committed:
        assert gettext.GNUTranslations(committed)._catalog == gettext.GNUTranslations(new)._catalog  # type: ignore[attr-defined]


def test_it_offers_the_languages_with_the_saved_one_selected(
    owner: Any, owner_client: Client
) -> None:
    choose(owner_client, "fr")
    html = owner_client.get(LANGUAGE_URL).content.decode()
    assert '<option value="fr" selected>Français</option>' in html
    assert '<option value="en">English</option>' in html


def test_a_french_request_leaves_no_french_behind(owner_client: Client, org: Any) -> None:
    owner_client.get(f"/o/{org.slug}/settings/", HTTP_ACCEPT_LANGUAGE="fr")
    assert translation.get_language() == settings.LANGUAGE_CODE


def test_a_french_user_sees_members_and_api_keys_in_french(
    owner: Any, org: Any, member: Any
) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9")
    client.force_login(owner)
    members = client.get(f"/o/{org.slug}/members/")
    assert members.status_code == 200 and members["Content-Language"] == "fr"
    html = members.content.decode()
    assert f"Membres de {org.name}" in html and "Inviter quelqu'un" in html
    assert "Envoyer l'invitation" in html and "Rôle" in html and "(vous)" in html
    assert "Invite someone" not in html and 'aria-label="Organisation"' in html

    client.post(f"/o/{org.slug}/api-keys/", {"name": "CRM"})
    keys = client.get(f"/o/{org.slug}/api-keys/").content.decode()
    assert "Clés d'API" in keys
    assert "Nouvelle clé" in keys and "Créer la clé" in keys and "Dernière utilisation" in keys
    assert "lecture et écriture" in keys and "jamais" in keys and "Révoquer" in keys
    assert "No keys yet." not in keys and "Create key" not in keys


def test_a_french_visitor_sees_the_whole_login_page_in_french(db: None) -> None:
    html = Client(HTTP_ACCEPT_LANGUAGE="fr").get("/accounts/login/").content.decode()
    assert "Se connecter" in html and "Mot de passe oublié" in html
    assert "Créer un compte" in html and "Forgot your password?" not in html


def test_a_french_survey_email_has_french_chrome(survey: Any, mailoutbox: list[Any]) -> None:
    from outreach import services
    from outreach.services import Recipient
    from tenants.context import tenant_context

    recipient = Recipient(email="zoe@example.fr", name="Zoé", properties={"language": "fr"})
    with tenant_context(survey.organization):
        services.request_schedule(survey=survey, recipient=recipient)
    assert services.requests_send_due() == 1
    message = mailoutbox[0]
    html = message.alternatives[0][0]
    assert "Bonjour Zoé," in message.body and "Bonjour Zoé," in html
    assert "Choisissez une note" in message.body and "Se désinscrire" in message.body
    assert "Se désinscrire" in html and "Unsubscribe" not in html
    # The back office around it stays in the default language.
    assert translation.get_language() == settings.LANGUAGE_CODE
