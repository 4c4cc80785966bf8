"""The report pages: self-contained HTML (inline CSS and SVG, no script, nothing fetched), in the
reader's language.

Every page extends `base.html.j2` (the CJK font stack, the shared styles); its words are messages
of the one catalogue (netauto/i18n.py), `term(kind, code)` shows a model code in words
(netauto/pages/vocabulary.py) and `locale.when(moment)` a date in the network's time zone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from netauto.i18n import ReportLocale, catalogue
from netauto.pages.vocabulary import VOCABULARY

if TYPE_CHECKING:
    from netauto.model.schema import Inventory


@dataclass(frozen=True)
class Names:
    """The inventory's names (Chinese for a Chinese district) of its sites, site classes and link classes,
    each with its ASCII id beside it."""

    sites: dict[str, str] = field(default_factory=dict)
    site_classes: dict[str, str] = field(default_factory=dict)
    link_classes: dict[str, str] = field(default_factory=dict)
    planes: dict[str, str] = field(default_factory=dict)  # id -> the plane's own name, where it has one
    language: str = "zh"  # the language the names are written in: the network's

    @classmethod
    def of(cls, inventory: Inventory) -> Names:
        return cls(
            sites={s.id: _named(s.id, s.name) for s in inventory.sites},
            site_classes={c.id: _named(c.id, c.name) for c in inventory.site_classes},
            link_classes={c.id: _named(c.id, c.name) for c in inventory.link_classes},
            planes={p.id: p.name for p in inventory.planes if p.name},
            language=ReportLocale.of(inventory.network.locale).lang,
        )

    def native(self, locale: ReportLocale) -> bool:
        """Whether the report is in the names' own language, so a short label may be the name alone."""
        return locale.lang == self.language


def _named(ident: str, name: str) -> str:
    """
    >>> _named("town-zhujiajiao", "朱家角镇"), _named("cr", "")
    ('朱家角镇 (town-zhujiajiao)', 'cr')
    """
    return f"{name} ({ident})" if name and name != ident else ident


def markdown_table(headers: tuple[str, ...], rows: list[tuple[object, ...]]) -> list[str]:
    r"""A Markdown table's lines; a `|` inside a cell is escaped.

    >>> markdown_table(("a", "b"), [(1, "x|y")])
    ['| a | b |', '|---|---|', '| 1 | x\\|y |']
    """
    text = [[str(cell).replace("|", "\\|") for cell in row] for row in [headers, *rows]]
    return ["| " + " | ".join(text[0]) + " |", "|" + "---|" * len(headers)] + [
        "| " + " | ".join(r) + " |" for r in text[1:]
    ]


def render_page(template: str, locale: ReportLocale, **context: Any) -> str:
    return _environment(locale.lang).get_template(template).render(locale=locale, **context)


def term(gettext: Callable[[str], str], kind: str, code: str) -> str:
    """A model code in the reader's words; a code with no word is shown as it is.

    >>> zh = ReportLocale("zh").gettext
    >>> term(zh, "role", "core"), term(zh, "role", "unknown-role")
    ('核心', 'unknown-role')
    """
    word = VOCABULARY[kind].get(code)
    return gettext(word) if word else code


@cache
def _environment(lang: str) -> Environment:
    env = Environment(
        loader=PackageLoader("netauto", "pages"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    translations = catalogue(lang)
    env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    env.globals["term"] = lambda kind, code: term(translations.gettext, kind, code)
    return env
