"""The one message catalogue: every message the code and page templates use is in it, translated into
Chinese with the same fields, and the zh pages show no English label."""

from __future__ import annotations

import re
import string
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from conftest import ROOT
from netauto.i18n import LANGUAGES, ReportLocale
from netauto.pages.vocabulary import VOCABULARY

LOCALE_DIR = ROOT / "netauto" / "locale"
PERCENT_FIELD = re.compile(r"%\((\w+)\)[sd]")


def used_messages() -> set[str | tuple[str, str]]:
    """Every message the package uses, found the way `./dev i18n` finds them (babel.cfg)."""
    with (LOCALE_DIR / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    found: set[str | tuple[str, str]] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(str(ROOT), method_map, options_map):
        found.add(message if isinstance(message, str) else (message[0], message[1]))
    return found


def catalogue(locale: str) -> Catalog:
    with (LOCALE_DIR / locale / "LC_MESSAGES" / "netauto.po").open("rb") as po:
        return read_po(po, locale=locale)


def fields(text: str) -> set[str]:
    """The named fields of a message: `%(name)s` (pages, Python reports) and `{name}` (findings)."""
    braces = {name for _, name, _, _ in string.Formatter().parse(text) if name}
    return braces | set(PERCENT_FIELD.findall(text))


def test_the_catalogue_has_every_message_the_code_uses_and_no_other() -> None:
    used = used_messages()
    for lang, locale in LANGUAGES.items():
        if lang == "en":
            continue  # English is the source: each message is its own English
        held = {m.id if isinstance(m.id, str) else tuple(m.id) for m in catalogue(locale) if m.id}
        assert used - held == set(), f"not in {locale}: run ./dev i18n and translate them"
        assert held - used == set(), f"in {locale} but used nowhere: run ./dev i18n"


def test_every_message_is_translated_with_the_same_fields() -> None:
    for lang, locale in LANGUAGES.items():
        if lang == "en":
            continue
        for message in catalogue(locale):
            if not message.id:
                continue
            ids = [message.id] if isinstance(message.id, str) else list(message.id)
            strings = [message.string] if isinstance(message.string, str) else list(message.string)
            assert all(strings), f"{locale}: {ids[0]!r} has no translation"
            assert not message.fuzzy, f"{locale}: {ids[0]!r} is marked fuzzy"
            for translated in strings:
                assert fields(translated) == fields(ids[-1]), f"{locale}: {ids[0]!r} -> {translated!r}"


def test_every_word_of_the_vocabulary_has_a_chinese_word() -> None:
    zh = ReportLocale("zh")
    for kind, words in VOCABULARY.items():
        for code, word in words.items():
            assert zh.gettext(word) != word or word in {"PE", "CE"}, f"{kind}.{code}: {word!r}"


def test_the_pot_file_is_current() -> None:
    """netauto/locale/netauto.pot is what `./dev i18n` extracts: translators start from it."""
    with (LOCALE_DIR / "netauto.pot").open("rb") as pot:
        held = {m.id if isinstance(m.id, str) else tuple(m.id) for m in read_po(pot) if m.id}
    assert held == used_messages()


@pytest.mark.parametrize(
    ("moment", "zone", "lang", "shown"),
    [
        ("2026-12-07T15:37:00+00:00", "Asia/Shanghai", "zh", "2026年12月7日 23:37:00 (UTC+08:00)"),
        ("2026-12-07T23:59:00Z", "Asia/Shanghai", "zh", "2026年12月8日 07:59:00 (UTC+08:00)"),  # the next day there
        ("2026-07-01T12:00:00", "Europe/London", "en", "Jul 1, 2026, 1:00:00\u202fPM (UTC+01:00)"),  # naive is UTC
    ],
)
def test_dates_are_shown_in_the_networks_time_zone(moment: str, zone: str, lang: Any, shown: str) -> None:
    assert ReportLocale(lang, zone).when(moment) == shown


def test_a_locale_tag_picks_the_language() -> None:
    assert [ReportLocale.of(tag).lang for tag in ("zh-CN", "zh_CN", "zh", "en", "en-GB")] == ["zh"] * 3 + ["en"] * 2
