"""Issue 15, finding 1, at the service: which local account an ID token's identity becomes.

The same attacks as tests/security/test_single_sign_on.py (which signs in end
to end), plus a subject that is a national ID: it is kept only as its SHA-256.
"""

from __future__ import annotations

import pytest

from tests.accounts.conftest import national_id
from tracker.core.errors import InvalidInput
from tracker.domain.users import AppUser
from tracker.services import sso
from tracker.services.sso import Identity, account_for, subject_hash
from tracker.services.users import create_user
from tracker.storage.store import Store

CORP, OTHER = "https://idp.sw.gov.taipei", "https://idp.example.org"
DOMAINS = ("sw.gov.taipei",)


@pytest.fixture
def store() -> Store:
    store = Store.in_memory()
    create_user(
        store,
        "t",
        username="it.office",
        role="it_office",
        password="a passphrase 1",
        email="It.Office@sw.gov.taipei",
    )
    create_user(store, "t", username="vendor.a.user", role="manager", password="a passphrase 2")
    return store


def test_a_username_as_the_email_claim_matches_nothing(store):
    claims = {"iss": CORP, "sub": "x-1", "email": "it.office", "email_verified": True}
    assert account_for(store, Identity.from_claims(claims), DOMAINS) is None


@pytest.mark.parametrize("verified", [False, None, "false", 0])
def test_an_address_that_is_not_verified_never_links(store, verified):
    claims = {"iss": CORP, "sub": "x-2", "email": "it.office@sw.gov.taipei"}
    if verified is not None:
        claims["email_verified"] = verified
    assert account_for(store, Identity.from_claims(claims), DOMAINS) is None
    assert store.get(AppUser, "it.office").sso_subject_hash == ""


def test_an_address_of_another_domain_never_links_even_verified(store):
    create_user(
        store,
        "t",
        username="outsider",
        role="manager",
        password="a passphrase 3",
        email="boss@gmail.com",
    )
    claims = {"iss": CORP, "sub": "x-3", "email": "boss@gmail.com", "email_verified": True}
    assert account_for(store, Identity.from_claims(claims), DOMAINS) is None


def test_a_verified_address_links_once_then_only_that_issuer_and_subject_sign_in(store):
    first = Identity.from_claims(
        {"iss": CORP, "sub": "emp-7", "email": "IT.OFFICE@sw.gov.taipei", "email_verified": True}
    )
    assert account_for(store, first, DOMAINS).id == "it.office"
    same_subject_elsewhere = Identity(OTHER, "emp-7", "it.office@sw.gov.taipei", True)
    assert account_for(store, same_subject_elsewhere, DOMAINS) is None
    another_corp_person = Identity(CORP, "emp-8", "it.office@sw.gov.taipei", True)
    assert account_for(store, another_corp_person, DOMAINS) is None  # linked once, not twice
    assert account_for(store, Identity(CORP, "emp-7"), DOMAINS).id == "it.office"


def test_a_subject_that_is_a_national_id_is_kept_and_logged_only_as_its_hash(store, tmp_path):
    subject = national_id("A", "12345678")
    sso.link(store, "cli", "vendor.a.user", issuer=CORP, subject=subject)
    user = store.get(AppUser, "vendor.a.user")
    assert user.sso_subject_hash == subject_hash(subject) and subject not in repr(user)
    assert account_for(store, Identity(CORP, subject), DOMAINS).id == "vendor.a.user"
    account_for(store, Identity(OTHER, subject), DOMAINS)  # refused, and logged
    assert subject not in "".join(map(repr, store.log.entries()))


def test_an_identity_cannot_be_linked_to_two_accounts(store):
    sso.link(store, "cli", "it.office", issuer=CORP, subject="emp-7")
    with pytest.raises(InvalidInput, match="已對應帳號 it.office"):
        sso.link(store, "cli", "vendor.a.user", issuer=CORP, subject="emp-7")
