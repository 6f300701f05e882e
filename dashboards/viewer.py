"""Who is looking, and what they may see (issue 17.6).

The viewer is who Streamlit's built-in OIDC login says (`st.user`, configured by an `[auth]`
section in .streamlit/secrets.toml, docs/dashboards.md). taxonomy/privacy.yaml maps viewers'
e-mails to roles and says which roles see which personal-data class in clear. Without a login
(no `[auth]`: the loopback default) nobody has a role, so personal data is masked.

`masker()` is the dashboards' end of the one masking place (dagster_project/governance/privacy.py);
downloads.show_table applies it to every table and download.
"""
from __future__ import annotations

import streamlit as st

from dagster_project.governance.privacy import Masker, PrivacyPolicy, load_privacy
from dagster_project.governance.problems import TaxonomyError
from dagster_project.settings import Settings


def auth_configured() -> bool:
    """An [auth] section in the secrets Streamlit loaded."""
    try:
        return "auth" in st.secrets
    except Exception:  # noqa: BLE001 - no secrets.toml at all: no login configured
        return False


def viewer_email() -> str | None:
    """The logged-in viewer's e-mail, None when nobody is logged in (or no login is configured)."""
    try:
        info = st.user.to_dict()
    except Exception:  # noqa: BLE001 - outside a script run: nobody
        return None
    if info.get("is_logged_in") is not True:
        return None
    email = info.get("email")
    return str(email).strip().lower() if email else None


@st.cache_resource(show_spinner=False)
def _policy(folder: str, mtime_ns: int) -> PrivacyPolicy:
    return load_privacy(folder)


def policy() -> PrivacyPolicy:
    settings = Settings.from_env()
    path = settings.taxonomy / "privacy.yaml"
    try:
        return _policy(str(settings.taxonomy), path.stat().st_mtime_ns if path.exists() else 0)
    except TaxonomyError as exc:  # fail closed: no page shows personal data under a broken policy
        st.error(f"The privacy policy is invalid, so no page is shown:\n\n{exc}")
        st.stop()
        raise


def masker() -> Masker:
    """How the current viewer sees personal data."""
    p = policy()
    return Masker.for_viewer(p, sorted(p.roles_of(viewer_email())), Settings.from_env().masking_key)


def login_gate() -> None:
    """With a login configured, nothing is shown before it; then the sidebar says who is looking."""
    if not auth_configured():
        return
    if viewer_email() is None:
        st.title("ITAM governance")
        st.write("Log in to see the dashboards.")
        st.button("Log in", on_click=st.login, type="primary", icon=":material/login:")
        st.stop()
    roles = sorted(policy().roles_of(viewer_email()))
    st.sidebar.caption(f"Signed in as {viewer_email()}" + (f" ({', '.join(roles)})" if roles else
                                                           " (personal data masked)"))
    st.sidebar.button("Log out", on_click=st.logout, icon=":material/logout:")
