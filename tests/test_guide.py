"""The guide's decision tree and FAQ, as data."""

from __future__ import annotations

from pathlib import Path

import pytest

from console.guide import (
    DATA_DIR,
    GuideError,
    Question,
    Recommendation,
    Walk,
    load_faq,
    load_guide,
)
from simulator.profile import profiles_dir

LINKED_IDS = {
    "office365-basic-auth",
    "office365-limits",
    "office365-smtp-auth-disabled",
    "security-defaults",
    "gmail-app-password",
    "gmail-oauth",
    "send-as",
    "quotas",
    "starttls",
    "shared-credentials",
    "password-changed",
    "unverified-sender",
    "greylisting",
    "certificates",
    "connection",
}
SEED_QUESTIONS = {
    "what-is-smtp",
    "why-own-server",
    "mail-client",
    "where-credentials",
    "office365-limits",
    "gmail-oauth",
    "shared-credentials",
}


def walk(*labels: str) -> Walk:
    steps = Walk(load_guide())
    for label in labels:
        steps.choose_label(label)
    return steps


def test_office365_personal_path_recommends_basic_login() -> None:
    steps = walk("Office 365", "Each person", "No", "No", "No")
    node = steps.current
    assert isinstance(node, Recommendation)
    assert node.id == "office365-personal"
    assert node.provider == "office365"
    assert node.overrides() == {"method": "login"}
    text = " ".join(node.limits + node.warnings + node.cons)
    for fact in ("30 messages a minute", "10,000 recipients", "One From address", "December 2026"):
        assert fact in text
    assert "password changes" in text and "bulk" in text


def test_mfa_without_oauth_steers_away_from_office365() -> None:
    node = walk("Office 365", "Each person", "No", "Yes", "No").current
    assert isinstance(node, Recommendation)
    assert node.id == "office365-no-basic" and node.provider != "office365"


def test_oauth_answer_changes_the_recommendation() -> None:
    assert walk("Office 365", "Each person", "No", "No", "Yes").current.id == "office365-oauth"
    assert walk("Gmail", "Each person", "No", "Yes").current.id == "gmail-oauth"
    assert walk("Gmail", "Each person", "No", "No").current.id == "gmail-app-password"


def test_team_scope_and_internal_only_lead_to_direct_send() -> None:
    node = walk("Office 365", "One login", "Yes").current
    assert isinstance(node, Recommendation)
    assert node.id == "office365-direct-send"
    assert node.overrides() == {
        "method": "none",
        "host": "yourdomain-com.mail.protection.outlook.com",
        "port": 25,
        "security": "starttls",
    }


def test_bulk_mail_goes_to_a_shareable_provider() -> None:
    assert walk("Office 365", "Each person", "Yes").current.id == "bulk-provider"
    assert walk("Gmail", "One login").current.id == "bulk-provider"


def test_back_and_restart() -> None:
    steps = walk("Office 365", "Each person")
    assert steps.back().id == "office365-scope"
    steps.choose_label("One login")
    assert steps.restart().id == "provider"
    assert steps.back().id == "provider"
    assert steps.answers() == []


def test_choosing_past_a_recommendation_or_out_of_range_fails() -> None:
    steps = walk("Our company", "Yes")
    assert steps.finished
    with pytest.raises(ValueError):
        steps.choose(0)
    with pytest.raises(IndexError):
        Walk(load_guide()).choose(9)


def test_every_path_ends_in_a_recommendation_with_a_real_profile() -> None:
    guide = load_guide()
    known_profiles = {path.stem for path in profiles_dir().glob("*.toml")} - {"defaults"}
    leaves: set[str] = set()

    def visit(node_id: str, depth: int) -> None:
        assert depth < 10, f"{node_id} is part of a cycle"
        node = guide.node(node_id)
        if isinstance(node, Question):
            for option in node.options:
                visit(option.next, depth + 1)
        else:
            leaves.add(node.id)

    visit(guide.root, 0)
    assert leaves == set(guide.recommendations)
    for recommendation in guide.recommendations.values():
        assert recommendation.reasons and recommendation.pros and recommendation.cons
        assert recommendation.limits and recommendation.faq
        assert recommendation.provider in known_profiles, recommendation.id


def test_faq_answers_every_seed_question_and_every_linked_id() -> None:
    faq = load_faq()
    assert faq.ids() >= SEED_QUESTIONS | LINKED_IDS
    assert all(len(entry.answer) > 80 for entry in faq.entries)


def test_faq_search_ranks_and_filters() -> None:
    faq = load_faq()
    assert faq.search("app password")[0].id == "gmail-app-password"
    assert faq.search("send as")[0].id == "send-as"
    assert {e.id for e in faq.search("5.7.139")} >= {"security-defaults"}
    assert faq.search("no-such-word-anywhere") == []
    assert len(faq.search("  ")) == len(faq.entries)


def test_a_broken_link_names_file_line_and_field(tmp_path: Path) -> None:
    text = (DATA_DIR / "guide.toml").read_text(encoding="utf-8")
    broken = tmp_path / "guide.toml"
    broken.write_text(text.replace('next = "office365-scope"', 'next = "nowhere"'))
    with pytest.raises(GuideError) as caught:
        load_guide(broken)
    assert caught.value.field == "questions.provider.options"
    assert caught.value.line > 0 and "nowhere" in str(caught.value)
    assert str(broken) in str(caught.value)


def test_malformed_faq_is_refused_with_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "faq.toml"
    bad.write_text('[[entries]]\nid = "x"\nquestion = 3\n')
    with pytest.raises(GuideError) as caught:
        load_faq(bad)
    assert "entries.question" in str(caught.value)
    bad.write_text("[[entries]\n")
    with pytest.raises(GuideError) as caught:
        load_faq(bad)
    assert caught.value.line == 1
    bad.write_bytes(b'[[entries]]\nid = "\xff"\n')
    with pytest.raises(GuideError, match="not UTF-8"):
        load_faq(bad)


def test_every_diagnosis_links_to_an_faq_entry() -> None:
    from console.diagnosis import catalogue

    assert catalogue().guide_ids <= load_faq().ids()


def test_yes_no_answers_come_in_the_same_order_for_every_provider() -> None:
    guide = load_guide()
    orders = {
        question.id: [option.label.split(":")[0].split(",")[0] for option in question.options]
        for question in guide.questions.values()
        if {o.label.split(":")[0].split(",")[0] for o in question.options} == {"Yes", "No"}
    }
    assert len(orders) >= 8
    assert all(order == ["No", "Yes"] for order in orders.values()), orders
