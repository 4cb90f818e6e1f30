from __future__ import annotations

import pytest

from miners.protocol import ProtocolError, load
from tests.conftest import ROOT


def test_study_protocol_is_valid():
    p = load(ROOT / "study" / "protocol.toml")
    assert p.discover.topics == ["mlflow-project"] and p.sample.seed == 2026


@pytest.mark.parametrize(("text", "message"), [
    ("[sample]\nsize = -3\n", "[sample] size = -3: must not be negative"),
    ("[sample]\nsize = 'ten'\n", "[sample] size = 'ten': expected a whole number"),
    ("[select]\nduplicate_jaccard = 1.5\n", "duplicate_jaccard = 1.5: expected a number in (0, 1]"),
    ("[select]\nexclude_forks = 'yes'\n", "expected true or false"),
    ("[clone]\nurl_template = 'https://x/{name}'\n", "must contain {owner} and {name}"),
    ("[discover]\ncreated_from = '2020-13-01'\n", "expected a date YYYY-MM-DD"),
    ("[discover]\ntopic = ['x']\n", "unknown key(s) in [discover]: ['topic']"),
    ("[sampling]\nsize = 3\n", "unknown section(s) ['sampling']"),
    ("[sample\n", "is not valid TOML"),
])
def test_bad_values_are_named_before_any_work(tmp_path, text, message):
    path = tmp_path / "p.toml"
    path.write_text(text)
    with pytest.raises(ProtocolError) as info:
        load(path)
    assert message in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(ProtocolError, match="protocol file not found"):
        load(tmp_path / "nope.toml")
