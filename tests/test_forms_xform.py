from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from pyxform.xls2xform import convert

from nswp_survey.errors import FormValidationError
from nswp_survey.forms.xform import build_instance, load_xform

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"
SERVED = SHARED / "kobo-recordings" / "openrosa" / "form_xml_5_languages.json"


@pytest.fixture(scope="module")
def demo_xform() -> str:
    return convert(xlsform=str(REPO_ROOT / "forms" / "demo_pulse.xlsx"), validate=False).xform


@pytest.mark.skipif(not SERVED.exists(), reason="../shared/kobo-recordings not beside the repo")
def test_kpi_served_xform_gives_root_version_and_calculates() -> None:
    form = load_xform(json.loads(SERVED.read_text())["body"])
    assert form.form_id == "aB5tPkhiBVMKmqPP8TRsGi"
    assert form.root_tag == "aB5tPkhiBVMKmqPP8TRsGi"
    assert form.version == "1 (2026-11-24 06:16:37)"
    assert form.version_uid == "vKBSot69RAhA7yN6CBwV2j"
    assert form.calculated["formhub/uuid"] == "d392f16e272b4fdfa6d1f3f76206d117"

    root = ET.fromstring(build_instance(form, {"member_code": "AFR-001"}, instance_id="abc"))
    assert root.tag == "aB5tPkhiBVMKmqPP8TRsGi"
    assert root.get("id") == "aB5tPkhiBVMKmqPP8TRsGi"
    assert root.get("version") == "1 (2026-11-24 06:16:37)"
    assert root.findtext("formhub/uuid") == "d392f16e272b4fdfa6d1f3f76206d117"
    assert root.findtext("__version__") == "vKBSot69RAhA7yN6CBwV2j"
    assert root.findtext("member_code") == "AFR-001"
    assert root.findtext("org_targeted") is None or root.findtext("org_targeted") == ""
    assert root.findtext("meta/instanceID") == "uuid:abc"


def test_groups_repeats_and_multiple_choices_are_written_in_form_order(demo_xform: str) -> None:
    form = load_xform(demo_xform)
    values = {
        "consent": "yes",
        "org/region": "europe",
        "org/country": "DEU",
        "law_changes": [
            {"law_area": "health", "law_direction": "positive"},
            {"law_area": ["criminal", "labour"]},
        ],
    }
    root = ET.fromstring(build_instance(form, values, instance_id="i-1"))
    assert [child.tag for child in root] == [
        "consent",
        "member_code",
        "org",
        "law_changes",
        "law_changes",
        "meta",
    ]
    assert root.findtext("org/region") == "europe"
    changes = root.findall("law_changes")
    assert [c.findtext("law_area") for c in changes] == ["health", "criminal labour"]
    assert changes[1].findtext("law_direction") == ""


def test_no_repeat_answers_writes_no_repeat_element(demo_xform: str) -> None:
    root = ET.fromstring(build_instance(load_xform(demo_xform), {"consent": "no"}))
    assert root.findall("law_changes") == []
    assert root.findtext("meta/instanceID").startswith("uuid:")


def test_repeat_value_must_be_a_list(demo_xform: str) -> None:
    with pytest.raises(FormValidationError, match="law_changes"):
        build_instance(load_xform(demo_xform), {"law_changes": "health"})


def test_not_an_xform_is_a_clear_error() -> None:
    with pytest.raises(FormValidationError, match="not well-formed"):
        load_xform("<html><body>login</body>")
    with pytest.raises(FormValidationError, match="no <model>"):
        load_xform("<html/>")


def test_an_edit_names_the_instance_it_replaces(demo_xform: str) -> None:
    form = load_xform(demo_xform)
    xml = build_instance(form, {"consent": "no"}, instance_id="new-1", deprecated_id="uuid:old-1")
    root = ET.fromstring(xml)
    assert root.findtext("meta/instanceID") == "uuid:new-1"
    assert root.findtext("meta/deprecatedID") == "uuid:old-1"
