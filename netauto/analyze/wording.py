"""The analysis's findings in words: each is a catalogue message (English, the source) with named
fields, so the JSON keeps its English message and a report shows it in the reader's language.

>>> en, zh = ReportLocale("en"), ReportLocale("zh")
>>> failing = N_("{kind} {element} failing cuts {sites} off the {target}")
>>> fields = {"kind": "node", "element": "cr1", "sites": ["a", "b", "c", "d", "e", "f"], "target": "core"}
>>> words(failing, fields, en)
'node cr1 failing cuts sites a, b, c, d, e and 1 more off the core'
>>> words(failing, fields, zh)
'设备 cr1 故障将使站点 a、b、c、d、e 及另外 1 个与核心中断'
"""

from __future__ import annotations

from typing import Any

from netauto.analyze.capacity import NORMAL
from netauto.i18n import N_, ReportLocale

SITES_SHOWN = 5
# fields that hold a model code: English shows the code as the JSON always has, another language its word
CODE_FIELDS: dict[str, tuple[str, ...]] = {
    "kind": (N_("link"), N_("node"), N_("srlg")),
    "target": (N_("core"),),
}
ENGLISH = ReportLocale("en")


def words(template: str, fields: dict[str, Any], locale: ReportLocale) -> str:
    """A finding's message: its template in the reader's language with each field shown in it."""
    shown = {name: _field(name, value, locale) for name, value in fields.items()}
    return locale.gettext(template).format(**shown)


def failure_name(name: str, locale: ReportLocale) -> str:
    """A failure as the capacity model names it (`link uplink:baihe:1`, `node cr1`) in the reader's words."""
    if name == NORMAL.name:
        return locale.gettext(N_("normal state"))
    kind, _, element = name.partition(" ")
    return f"{_code('kind', kind, locale)} {element}" if element else name


def _field(name: str, value: Any, locale: ReportLocale) -> Any:
    if name == "sites":
        return _sites(value, locale)
    if name == "failure":
        return failure_name(value, locale)
    if name in CODE_FIELDS:
        return _code(name, value, locale)
    if isinstance(value, list):
        return locale.gettext(N_(", ")).join(value)
    return value


def _code(name: str, code: str, locale: ReportLocale) -> str:
    return locale.gettext(code) if code in CODE_FIELDS[name] else code


def _sites(sites: list[str], locale: ReportLocale) -> str:
    """
    >>> _sites(["a"], ENGLISH), _sites(["a", "b"], ENGLISH)
    ('site a', 'sites a, b')
    """
    listed = locale.gettext(N_(", ")).join(sites[:SITES_SHOWN])
    if len(sites) > SITES_SHOWN:
        more = len(sites) - SITES_SHOWN
        return locale.gettext(N_("sites {listed} and {more} more")).format(listed=listed, more=more)
    return locale.ngettext("site {listed}", "sites {listed}", len(sites)).format(listed=listed)
