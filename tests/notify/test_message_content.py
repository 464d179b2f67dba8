"""What arrives: zh-TW subject and body in plain text and HTML, ROC dates, ids, titles, links."""

from __future__ import annotations

from datetime import timedelta

from tracker.cli import main
from tracker.domain.vendors import Vendor
from tracker.services import vendors as v

from .conftest import ACTOR, BASE_URL, START, with_mail

DAY = START - timedelta(days=7)


def send(settings, server, capsys) -> dict:
    """Run the day's reminders through ``server``; the received messages by recipient list."""
    assert (
        main(
            ["notify", "run", "--date", DAY.isoformat()], settings=with_mail(settings, server.url())
        )
        == 0
    )
    capsys.readouterr()
    return {tuple(r.rcpt_tos): r.message for r in server.received}


def parts(message) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


def test_a_vendor_reminder_is_in_zh_tw_with_roc_dates_obligations_and_links(
    world, settings, mail_server, capsys
):
    message = send(settings, mail_server, capsys)[
        ("a1@beichen.example.org", "a2@beichen.example.org")
    ]
    assert (
        message["Subject"]
        == "【移民資訊合規】到期提醒：北辰資訊股份有限公司 缺件 3 項（115/02/26）"
    )
    assert message["From"].addresses[0].display_name == "資訊室"
    assert message["From"].addresses[0].addr_spec == "noreply@sw.example.org"
    assert str(message["Message-ID"]).endswith("@sw.example.org>")
    assert message["Auto-Submitted"] == "auto-generated"
    text, html = parts(message)
    for body in (text, html):
        assert "北辰資訊股份有限公司 委外廠商 您好" in body
        assert "民國 115 年 2 月 26 日" in body  # the day of the reminder
        assert "民國 115 年 3 月 5 日（還有 7 天）" in body  # the due date
        assert "8.8 簽訂保密條款及切結書" in body and "8.6 接觸機敏資訊人員簽署切結書" in body
        assert "專案作業人員 北辰人員" in body and "缺件" in body
        assert "2026-03-05" not in body  # people read ROC dates
    assert f"連結：{BASE_URL}/" in text
    assert f'<a href="{BASE_URL}/">{BASE_URL}/</a>' in html


def test_the_it_office_digest_links_to_the_matrix_and_names_each_vendor(
    world, settings, mail_server, capsys
):
    message = send(settings, mail_server, capsys)[("it@sw.example.org",)]
    text, html = parts(message)
    assert message["Subject"].startswith(
        "【移民資訊合規】資訊室每日摘要：臺北市政府社會局、臺北市家庭暴力暨性侵害防治中心"
    )
    assert f"{BASE_URL}/matrix" in text and f'href="{BASE_URL}/matrix"' in html
    assert "（青禾數位科技股份有限公司）" in text and "逾期" in text


def test_names_typed_by_people_are_text_in_the_html_and_one_line_in_the_subject(
    world, settings, mail_server, capsys
):
    ubn = world.require(Vendor, "v-a").ubn
    v.save_vendor(world, ACTOR, name="北辰<b>資訊</b>&\n公司", ubn=ubn, vendor_id="v-a")
    message = send(settings, mail_server, capsys)[
        ("a1@beichen.example.org", "a2@beichen.example.org")
    ]
    text, html = parts(message)
    assert "北辰&lt;b&gt;資訊&lt;/b&gt;&amp;" in html and "<b>資訊" not in html
    assert "北辰<b>資訊</b>&" in text
    assert "\n" not in message["Subject"] and "北辰<b>資訊</b>& 公司" in message["Subject"]
