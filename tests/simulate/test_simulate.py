"""simulate() against a sandbox with the annual member survey, read back through the API."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from typing import Any

import pytest

from nswp_survey.errors import KoboNotFoundError
from nswp_survey.forms.questions import check_answers
from nswp_survey.kobo import KoboClient
from nswp_survey.simulate import iter_members, load_served_form, simulate

TODAY = date(2026, 6, 15)
COUNT = 150


def countries_by_region(client: KoboClient, uid: str) -> dict[str, str]:
    """country code -> region, from the form's own country list."""
    model = load_served_form(client, uid).model
    root = model.instances["country"].find("root")
    assert root is not None
    return {item.find("name").value: item.find("region").value for item in root.children}  # type: ignore[union-attr]


def test_simulated_members_come_back_valid_through_the_api(
    client: KoboClient, survey_uid: str
) -> None:
    result = simulate(client, survey_uid, COUNT, seed=11, today=TODAY)
    assert (result.posted, result.duplicates) == (COUNT, 0)
    assert set(result.by_region) == {"africa", "asia_pacific", "europe", "lac", "nac"}
    assert set(result.by_language) == {"en", "fr", "es", "ru", "zh"}

    subs = list(client.submissions.iter_submissions(survey_uid))
    assert sorted(s.instance_id or "" for s in subs) == sorted(
        f"uuid:{i}" for i in result.instance_ids
    )
    served = load_served_form(client, survey_uid)
    assert {s.version for s in subs} == {served.template.version_uid}
    problems = {s.instance_id: check_answers(served.model, s.answers, today=TODAY) for s in subs}
    assert {k: v for k, v in problems.items() if v} == {}

    regions = countries_by_region(client, survey_uid)
    answered = [s.answers for s in subs if s.answers.get("a_consent/consent") == "yes"]
    assert len(answered) > COUNT * 0.8
    codes = [a["b_profile/member_code"] for a in answered]
    assert len(set(codes)) == len(codes)
    assert all(re.fullmatch(r"[A-Z]{2}-[0-9]{4}", code) for code in codes)
    for answers in answered:
        assert regions[answers["b_profile/country"]] == answers["b_profile/region"]
    changes = Counter(len(a.get("d_law/law_change", [])) for a in answered)
    assert set(changes) == {0, 1, 2, 3, 4, 5}
    assert result.law_changes == sum(n * k for n, k in changes.items())


def test_answers_use_the_form_paths_and_skip_non_relevant_questions(
    client: KoboClient, survey_uid: str
) -> None:
    # 3% decline (synthetic.LEANINGS): 120 members make a decline all but certain, and
    # the seed makes it certain.
    simulate(client, survey_uid, 120, seed=5, today=TODAY)
    subs = [s.answers for s in client.submissions.iter_submissions(survey_uid)]
    declined = [a for a in subs if a["a_consent/consent"] == "no"]
    assert declined
    for answers in declined:
        assert not [k for k in answers if k.startswith(("b_profile/", "d_law/", "k_close/"))]
        assert answers["a_consent/survey_year"] == "2025"
    with_changes: dict[str, Any] = next(a for a in subs if a.get("d_law/law_change"))
    n = int(with_changes["d_law/n_changes"])
    items = with_changes["d_law/law_change"]
    assert len(items) == n and 1 <= n <= 5
    assert [item["d_law/law_change/lc_no"] for item in items] == [str(i + 1) for i in range(n)]
    assert all(
        {"d_law/law_change/lc_area", "d_law/law_change/lc_summary"} <= set(item) for item in items
    )
    assert all(len(item["d_law/law_change/lc_summary"]) <= 500 for item in items)
    for answers in subs:
        if answers.get("d_law/any_change") in ("no", "dk"):
            assert "d_law/n_changes" not in answers and "d_law/law_change" not in answers
        if answers.get("b_profile/paid_staff") == "0":
            assert "b_profile/sw_staff_share" not in answers
        if answers.get("g_leadership/mentor_prog") == "yes":
            parts = ("f", "m", "t", "gd")
            total = sum(int(answers[f"g_leadership/ment_{p}"]) for p in parts)
            assert total == int(answers["g_leadership/ment_total"])
        if answers.get("b_profile/multi_country") == "yes":
            others = answers["b_profile/countries_other"].split()
            assert answers["b_profile/country"] not in others


def test_free_text_is_in_the_members_language(client: KoboClient, survey_uid: str) -> None:
    form = load_served_form(client, survey_uid)
    scripts = {"ru": re.compile("[а-яА-Я]"), "zh": re.compile("[\u4e00-\u9fff]")}
    seen = Counter()
    for sim in iter_members(form, 200, seed=3, today=TODAY):
        for item in sim.values.get("d_law/law_change", []):  # type: ignore[union-attr]
            text = item["lc_summary"]
            language = sim.member.language
            if language in scripts:
                assert scripts[language].search(text), (language, text)
                seen[language] += 1
            else:
                assert not any(s.search(text) for s in scripts.values()), (language, text)
    assert seen["ru"] and seen["zh"]


def test_same_seed_same_bytes_and_a_rerun_is_a_duplicate(
    client: KoboClient, survey_uid: str
) -> None:
    form = load_served_form(client, survey_uid)
    first = [sim.xml for sim in iter_members(form, 20, seed=9, today=TODAY)]
    again = [sim.xml for sim in iter_members(form, 20, seed=9, today=TODAY)]
    other = [sim.xml for sim in iter_members(form, 20, seed=10, today=TODAY)]
    assert first == again
    assert not set(first) & set(other)
    assert f'<{survey_uid} id="{survey_uid}"'.encode() in first[0]
    assert f"<__version__>{form.template.version_uid}</__version__>".encode() in first[0]

    posted = simulate(client, survey_uid, 20, seed=9, today=TODAY)
    rerun = simulate(client, survey_uid, 20, seed=9, today=TODAY)
    assert (posted.duplicates, rerun.duplicates) == (0, 20)
    assert rerun.instance_ids == posted.instance_ids
    assert client.assets.get(survey_uid).submission_count == 20


def test_a_form_the_server_does_not_offer_is_a_kobo_error(client: KoboClient) -> None:
    with pytest.raises(KoboNotFoundError, match="form list does not offer aNope") as caught:
        load_served_form(client, "aNope")
    assert caught.value.exit_code == 3
