"""Tags: what the service accepts, and the TagKeys/TagValues filters every describe shares."""

from __future__ import annotations

import pytest

from redshift_intercept._errors import ServiceError
from redshift_intercept._tags import TagFilter, check_tags

TAGS = [{"Key": "team", "Value": "bi"}, {"Key": "env", "Value": "prod"}]


@pytest.mark.parametrize(("params", "resource", "per_tag"), [
    ({}, True, ["team", "env"]),
    ({"TagKeys": ["team"]}, True, ["team"]),
    ({"TagValues": ["prod"]}, True, ["env"]),
    ({"TagKeys": ["team"], "TagValues": ["prod"]}, True, []),  # some tag has the key, some the value
    ({"TagKeys": ["owner"]}, False, []),
    ({"TagKeys": ["team"], "TagValues": ["dev"]}, False, []),
    ({"TagKeys": [], "TagValues": []}, True, ["team", "env"]),  # empty lists filter nothing
])
def test_tag_filter(params, resource, per_tag):
    selected = TagFilter(params)
    assert bool(selected) is bool(params.get("TagKeys") or params.get("TagValues"))
    assert selected.selects(TAGS) is resource
    assert [t["Key"] for t in TAGS if selected.selects_tag(t)] == per_tag


def test_a_resource_without_tags_is_selected_only_without_a_filter():
    assert TagFilter({}).selects([]) is True
    assert TagFilter({"TagKeys": ["team"]}).selects([]) is False


@pytest.mark.parametrize(("tags", "existing", "code"), [
    ([{"Key": "aws:x", "Value": ""}], 0, "InvalidTagFault"),
    ([{"Key": "k" * 129, "Value": ""}], 0, "InvalidTagFault"),
    ([{"Key": "k", "Value": "v" * 257}], 0, "InvalidTagFault"),
    ([{"Key": f"k{i}", "Value": ""} for i in range(51)], 0, "TagLimitExceededFault"),
    ([{"Key": "k", "Value": ""}], 50, "TagLimitExceededFault"),
])
def test_check_tags_refuses_what_the_service_refuses(tags, existing, code):
    with pytest.raises(ServiceError) as excinfo:
        check_tags(tags, existing)
    assert excinfo.value.code == code


def test_check_tags_accepts_the_limits():
    check_tags([{"Key": "k" * 128, "Value": "v" * 256}], existing=49)
