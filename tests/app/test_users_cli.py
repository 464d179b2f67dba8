"""``python -m tracker users``: the command-line contract, run as a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tracker.core.config import Settings
from tracker.services.sign_in import sign_in
from tracker.services.vendors import save_vendor
from tracker.storage.store import Store

UBN = "04595257"
NAME = "北辰資訊股份有限公司"


@pytest.fixture
def env(settings, cli_env):
    store = Store.open(settings)
    vendor = save_vendor(store, "t", name=NAME, ubn=UBN)
    cli_env.pop("TRACKER_NEW_PASSWORD", None)
    cli_env["VENDOR_ID"] = vendor.id
    return cli_env


def tracker(env, *args, password_env=None):
    run_env = dict(env)
    if password_env is not None:
        run_env["TRACKER_NEW_PASSWORD"] = password_env
    return subprocess.run(
        [sys.executable, "-m", "tracker", *args],
        env=run_env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )


def listed(env) -> list[dict]:
    result = tracker(env, "users", "list", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_add_and_list_with_the_vendor_given_by_id_name_or_business_number(env):
    for username, vendor in (
        ("vendor.one", env["VENDOR_ID"]),
        ("vendor.two", NAME),
        ("vendor.three", UBN),
    ):
        result = tracker(
            env,
            "users",
            "add",
            username,
            "--role",
            "vendor",
            "--vendor",
            vendor,
            "--password",
            "a-long-password",
        )
        assert result.returncode == 0, result.stderr
    assert (
        tracker(
            env, "users", "add", "boss", "--role", "manager", password_env="another-password"
        ).returncode
        == 0
    )
    rows = {row["username"]: row for row in listed(env)}
    assert {rows[n]["vendor"] for n in ("vendor.one", "vendor.two", "vendor.three")} == {NAME}
    assert rows["boss"] == {**rows["boss"], "role": "manager", "vendor": None}


def test_without_any_password_source_a_strong_one_is_generated_and_printed_once(env):
    result = tracker(env, "users", "add", "it.office", "--role", "it_office")
    assert result.returncode == 0, result.stderr
    generated = result.stdout.strip().splitlines()[-1].split()[-1]
    assert len(generated) >= 20
    assert generated not in tracker(env, "users", "list", "--json").stdout
    assert sign_in(Store.open(Settings.from_env(env)), "it.office", generated).role == "it_office"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["users", "add", "x.role", "--role", "boss"], "role"),
        (["users", "add", "x.vendor", "--role", "vendor"], "vendor"),
        (["users", "add", "x.other", "--role", "manager", "--vendor", UBN], "vendor"),
        (["users", "add", "x.unknown", "--role", "vendor", "--vendor", "不存在的廠商"], "vendor"),
        (["users", "add", "Bad Name!", "--role", "manager"], "username"),
        (["users", "add", "x.short", "--role", "manager", "--password", "short"], "password"),
        (["users", "add", "x.head", "--role", "unit_head", "--password", "long enough"], "unit"),
        (
            [
                "users",
                "add",
                "x.unit",
                "--role",
                "manager",
                "--unit",
                "資訊室",
                "--password",
                "pw-12345",
            ],
            "unit",
        ),
    ],
)
def test_errors_are_one_line_on_stderr_with_a_nonzero_exit(env, args, fragment):
    result = tracker(env, *args)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert fragment in result.stderr
    assert listed(env) == []


def test_a_duplicate_username_is_refused(env):
    assert (
        tracker(
            env, "users", "add", "boss", "--role", "manager", "--password", "first-password"
        ).returncode
        == 0
    )
    result = tracker(
        env, "users", "add", "boss", "--role", "it_office", "--password", "second-password"
    )
    assert (
        result.returncode != 0
        and "already exists" in result.stderr
        and "Traceback" not in result.stderr
    )
    assert [row["role"] for row in listed(env)] == ["manager"]


def test_passwd_unlock_and_disable(env):
    assert (
        tracker(
            env, "users", "add", "boss", "--role", "manager", "--password", "first-password"
        ).returncode
        == 0
    )
    assert tracker(env, "users", "passwd", "boss", "--password", "second-password").returncode == 0
    assert tracker(env, "users", "unlock", "boss").returncode == 0
    assert tracker(env, "users", "disable", "boss").returncode == 0
    assert listed(env)[0]["disabled"] is True
    result = tracker(env, "users", "passwd", "nobody", "--password", "second-password")
    assert result.returncode != 0 and "Traceback" not in result.stderr


def test_a_unit_head_is_added_with_its_unit_listed_and_the_unit_can_be_changed(env):
    added = tracker(
        env,
        "users",
        "add",
        "head.lin",
        "--role",
        "unit_head",
        "--unit",
        "社會救助科",
        "--password",
        "a long password",
    )
    assert added.returncode == 0, added.stderr
    [row] = listed(env)
    assert (row["role"], row["unit"]) == ("unit_head", "社會救助科")
    changed = tracker(env, "users", "unit", "head.lin", "老人福利科")
    assert changed.returncode == 0 and "老人福利科" in changed.stdout
    assert listed(env)[0]["unit"] == "老人福利科"
    assert (
        sign_in(Store.open(Settings.from_env(env)), "head.lin", "a long password").unit
        == "老人福利科"
    )
    tracker(env, "users", "add", "boss", "--role", "manager", "--password", "a long password")
    refused = tracker(env, "users", "unit", "boss", "資訊室")
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    assert [r["unit"] for r in listed(env)] == [None, "老人福利科"]
