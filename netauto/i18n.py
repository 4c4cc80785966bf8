"""Reports in the reader's language: one gettext catalogue, dates in the network's time zone.

English is the source language: every message is written in English where it is used (`_("…")` in
Python, `{{ _("…") }}` in the page templates) and `netauto/locale/zh_CN/LC_MESSAGES/netauto.po` holds
its Chinese. The catalogue is read with Babel and compiled in memory, so no binary file is kept.
After changing a message, `./dev i18n` extracts the messages again and updates the catalogue; a test
fails while a message has no translation.

>>> ReportLocale.of("zh-CN").lang, ReportLocale.of("en-GB").lang
('zh', 'en')
>>> ReportLocale("en").gettext("devices touched")
'devices touched'
>>> ReportLocale("zh").gettext("devices touched")
'涉及设备'
"""

from __future__ import annotations

import gettext
import io
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from importlib.resources import files
from typing import Literal
from zoneinfo import ZoneInfo

from netauto.model.schema import DEFAULT_TIME_ZONE, Network

Lang = Literal["zh", "en"]
LANGUAGES: dict[str, str] = {"zh": "zh_CN", "en": "en"}  # --lang -> the catalogue's (and Babel's) locale
HTML_LANG: dict[str, str] = {"zh": "zh-CN", "en": "en"}
DOMAIN = "netauto"


def N_(message: str) -> str:
    """Mark a message for the catalogue where it is defined; it is translated where it is shown."""
    return message


@dataclass(frozen=True)
class ReportLocale:
    """The language a report is written in and the time zone its dates are shown in."""

    lang: Lang
    time_zone: str = DEFAULT_TIME_ZONE
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_zone", ZoneInfo(self.time_zone))

    @classmethod
    def of(cls, locale: str, time_zone: str = DEFAULT_TIME_ZONE) -> ReportLocale:
        """From a locale tag (`zh-CN`, `zh_CN`, `en-GB`, …): Chinese for any `zh`, else English."""
        return cls("zh" if locale.replace("_", "-").lower().startswith("zh") else "en", time_zone)

    @classmethod
    def for_network(cls, network: Network, lang: str | None = None) -> ReportLocale:
        """The network's own locale and time zone; `lang` (from `--lang`) overrides the language."""
        return cls.of(lang or network.locale, network.time_zone)

    @property
    def html_lang(self) -> str:
        return HTML_LANG[self.lang]

    @property
    def translations(self) -> gettext.NullTranslations:
        return catalogue(self.lang)

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.translations.ngettext(singular, plural, n)

    def when(self, moment: datetime | str) -> str:
        """A moment (aware, or an ISO string; naive means UTC) in the network's time zone, in the language.

        >>> ReportLocale("zh").when("2026-12-07T15:37:00+00:00")
        '2026年12月7日 23:37:00 (UTC+08:00)'
        >>> ReportLocale("en", "Europe/London").when("2026-07-01T12:00:00Z")
        'Jul 1, 2026, 1:00:00\u202fPM (UTC+01:00)'
        """
        from babel.dates import format_datetime  # Babel is loaded only by a report that shows a date

        local = local_time(moment, self._zone)
        offset = local.strftime("%z")
        return f"{format_datetime(local, 'medium', locale=LANGUAGES[self.lang])} (UTC{offset[:3]}:{offset[3:]})"


def local_time(moment: datetime | str, zone: ZoneInfo) -> datetime:
    """A moment (aware, or an ISO string such as a journal's; naive means UTC) in `zone`.

    >>> local_time("2026-12-07T23:59:00Z", ZoneInfo("Asia/Shanghai")).isoformat()
    '2026-12-08T07:59:00+08:00'
    """
    parsed = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return (parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)).astimezone(zone)


@cache
def catalogue(lang: str) -> gettext.NullTranslations:
    """The compiled catalogue of a language; English, the source, translates to itself."""
    if lang == "en":
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    locale = LANGUAGES[lang]
    source = files("netauto").joinpath("locale", locale, "LC_MESSAGES", f"{DOMAIN}.po")
    with source.open("rb") as po:
        compiled = io.BytesIO()
        write_mo(compiled, read_po(po, locale=locale, domain=DOMAIN))
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)
