"""Tables for the cleaning functions in ``newscrawl.extraction.processors``.

One parametrised table per function: ``None``, empty and whitespace-only values,
ordinary, non-ASCII (Cyrillic, accented) and right-to-left (Arabic, Hebrew) text,
and the examples the functions promise.
"""

from __future__ import annotations

import doctest
import random
import re
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from newscrawl.extraction import processors
from newscrawl.extraction.processors import (
    CREDIT_LABELS,
    DateParser,
    absolute_url,
    credit_label,
    detect_language,
    format_datetime,
    is_credit_line,
    language_differs,
    normalize_space,
    plausible_date,
    split_authors,
    split_credit,
    strip_credit_label,
    strip_ellipsis,
    structured_name,
    unique,
)

NOW = datetime(2016, 3, 25, 9, 0, tzinfo=UTC)
"""The seed article's crawl time: 12:00 in Moscow, the day after it was published."""


def test_docstring_examples() -> None:
    results = doctest.testmod(processors, optionflags=doctest.ELLIPSIS)
    assert results.attempted > 0
    assert results.failed == 0


# ------------------------------------------------------------------ normalize_space


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(None, None, id="none"),
        pytest.param("", None, id="empty"),
        pytest.param(" \t\n\r ", None, id="whitespace"),
        pytest.param("\u00a0\u202f\u2009\u2028\u2029", None, id="unicode-whitespace-only"),
        pytest.param("\u200b\ufeff\u00ad", None, id="zero-width-only"),
        pytest.param("Lavrov said", "Lavrov said", id="clean"),
        pytest.param("  Lavrov \t said\n\nwhat  ", "Lavrov said what", id="ascii-runs"),
        pytest.param("Sergei\u00a0Lavrov", "Sergei Lavrov", id="nbsp"),
        pytest.param("10\u202f000\u2009km", "10 000 km", id="narrow-nbsp-thin-space"),
        pytest.param("one\u2028two\u2029three", "one two three", id="line-paragraph-separators"),
        pytest.param("Ker\u200bry", "Kerry", id="zero-width-space"),
        pytest.param("\ufeffLavrov", "Lavrov", id="bom"),
        pytest.param("counter\u00adproductive", "counterproductive", id="soft-hyphen"),
        pytest.param("Put\u2060in", "Putin", id="word-joiner"),
        pytest.param(
            "\u0645\u06cc\u200c\u0634\u0648\u062f",
            "\u0645\u06cc\u200c\u0634\u0648\u062f",
            id="persian-zwnj-kept",
        ),
        pytest.param(" Лавров  рассказал ", "Лавров рассказал", id="cyrillic"),
        pytest.param("Crédit\u00a0photo", "Crédit photo", id="accented"),
        pytest.param("Cre\u0301dit", "Cre\u0301dit", id="combining-mark-kept"),
        pytest.param(" مرحبا   بالعالم ", "مرحبا بالعالم", id="arabic"),
        pytest.param(
            "\u05e9\u05b8\u05c1\u05dc\u05d5\u05b9\u05dd  עולם",
            "\u05e9\u05b8\u05c1\u05dc\u05d5\u05b9\u05dd עולם",
            id="hebrew-niqqud",
        ),
        pytest.param("\u200fשלום\u200f", "\u200fשלום\u200f", id="rtl-mark-kept"),
    ],
)
def test_normalize_space(value: str | None, expected: str | None) -> None:
    assert normalize_space(value) == expected


# ---------------------------------------------------------------------- credits


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(None, None, id="none"),
        pytest.param("", None, id="empty"),
        pytest.param("   ", None, id="whitespace"),
        pytest.param("Photo: Sergei Guneyev/RIA Novosti", "Photo", id="photo"),
        pytest.param("Photos: AP", "Photos", id="photos"),
        pytest.param("Photo by John Doe", "Photo by", id="photo-by"),
        pytest.param("Photograph: AP", "Photograph", id="photograph"),
        pytest.param("Image: AP", "Image", id="image"),
        pytest.param("Picture: AP", "Picture", id="picture"),
        pytest.param("Credit: AP", "Credit", id="credit"),
        pytest.param("Source: Reuters", "Source", id="source"),
        pytest.param("PHOTO: AP", "PHOTO", id="upper-case"),
        pytest.param("Photo\u00a0:\u00a0AP", "Photo", id="nbsp-around-colon"),
        pytest.param("Photo — AP", "Photo", id="em-dash"),
        pytest.param("Photo – AP", "Photo", id="en-dash"),
        pytest.param("Фото: РИА Новости", "Фото", id="foto-ru"),
        pytest.param("Фото РИА Новости", "Фото", id="foto-ru-no-colon"),
        pytest.param("ФОТО: ТАСС", "ФОТО", id="foto-ru-upper"),
        pytest.param("Фотография: ТАСС", "Фотография", id="fotografiya"),
        pytest.param("Источник: ТАСС", "Источник", id="istochnik"),
        pytest.param("Foto: dpa", "Foto", id="foto"),
        pytest.param("Fotó: MTI", "Fotó", id="foto-hu"),
        pytest.param("Fotos: EFE", "Fotos", id="fotos"),
        pytest.param("Bild: dpa", "Bild", id="bild"),
        pytest.param("Quelle: dpa", "Quelle", id="quelle"),
        pytest.param("Crédit photo : AFP", "Crédit photo", id="credit-photo-fr"),
        pytest.param("Crédits : AFP", "Crédits", id="credits-fr"),
        pytest.param("© AP", "©", id="copyright-sign"),
        pytest.param("©AP", "©", id="copyright-sign-no-space"),
        pytest.param("(c) AP", "(c)", id="c-in-parentheses"),
        pytest.param("Copyright 2016 AP", "Copyright", id="copyright"),
        pytest.param("צילום: רויטרס", "צילום", id="hebrew"),
        pytest.param("تصوير: رويترز", "تصوير", id="arabic"),
        pytest.param("Lavrov said what Putin agreed with Kerry", None, id="no-label"),
        pytest.param("Image processing is hard", None, id="image-without-colon"),
        pytest.param("Source code of the treaty", None, id="source-without-colon"),
        pytest.param("Photos of the day", None, id="photos-without-colon"),
        pytest.param("Фотоальбом", None, id="foto-prefix-of-word"),
        pytest.param("Bildung: Reform", None, id="bild-prefix-of-word"),
        pytest.param("Copyrighted material", None, id="copyright-prefix-of-word"),
        pytest.param("Лавров рассказал. Фото: ТАСС", None, id="label-not-at-start"),
        pytest.param("مرحبا بالعالم", None, id="arabic-no-label"),
    ],
)
def test_credit_label(text: str | None, expected: str | None) -> None:
    assert credit_label(text) == expected


def test_credit_labels_is_anchored_at_start() -> None:
    assert CREDIT_LABELS.search("Lavrov in Moscow. Photo: AP") is None
    match = CREDIT_LABELS.search("  Photo: AP")
    assert match is not None
    assert match.group("label") == "Photo"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(None, None, id="none"),
        pytest.param("", None, id="empty"),
        pytest.param(" \u00a0 ", None, id="whitespace"),
        pytest.param("Photo: Sergei Guneyev/RIA Novosti", "Sergei Guneyev/RIA Novosti", id="seed"),
        pytest.param("© AP", "AP", id="copyright-sign"),
        pytest.param("Фото: РИА Новости", "РИА Новости", id="cyrillic"),
        pytest.param("Фото  РИА\u00a0Новости ", "РИА Новости", id="cyrillic-no-colon"),
        pytest.param("Crédit photo : Jean-Pierre Müller", "Jean-Pierre Müller", id="accented"),
        pytest.param("Photo by John Doe", "John Doe", id="photo-by"),
        pytest.param("Photo: © AP", "AP", id="two-labels"),
        pytest.param("Copyright © 2016 AP", "2016 AP", id="copyright-and-sign"),
        pytest.param("צילום: רויטרס", "רויטרס", id="hebrew"),
        pytest.param("تصوير: رويترز", "رويترز", id="arabic"),
        pytest.param("Sergei  Guneyev/RIA Novosti", "Sergei Guneyev/RIA Novosti", id="no-label"),
        pytest.param("Image processing", "Image processing", id="word-without-colon"),
        pytest.param("Photo:", None, id="bare-label"),
        pytest.param("©", None, id="bare-sign"),
        pytest.param("Фото: ", None, id="bare-cyrillic-label"),
    ],
)
def test_strip_credit_label(text: str | None, expected: str | None) -> None:
    assert strip_credit_label(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(None, (None, None), id="none"),
        pytest.param("", (None, None), id="empty"),
        pytest.param("\n\t", (None, None), id="whitespace"),
        pytest.param(
            "Lavrov in Moscow. Photo: A. B/TASS", ("Lavrov in Moscow.", "A. B/TASS"), id="seed"
        ),
        pytest.param("Фото: РИА Новости", (None, "РИА Новости"), id="credit-only"),
        pytest.param("Just a caption", ("Just a caption", None), id="caption-only"),
        pytest.param(
            "Lavrov in Moscow (Photo: Reuters)", ("Lavrov in Moscow", "Reuters"), id="parentheses"
        ),
        pytest.param(
            "Lavrov (Photo: Reuters) in Moscow", ("Lavrov in Moscow", "Reuters"), id="inner-paren"
        ),
        pytest.param("Protest [Photo: AP]", ("Protest", "AP"), id="brackets"),
        pytest.param("Lavrov in Moscow | Photo: AP", ("Lavrov in Moscow", "AP"), id="pipe"),
        pytest.param("Lavrov in Moscow / Фото: ТАСС", ("Lavrov in Moscow", "ТАСС"), id="slash"),
        pytest.param("Lavrov in Moscow — Photo: AP", ("Lavrov in Moscow", "AP"), id="em-dash"),
        pytest.param("Lavrov in Moscow © AP", ("Lavrov in Moscow", "AP"), id="copyright-sign"),
        pytest.param(
            "Лавров в Москве. Фото РИА Новости", ("Лавров в Москве.", "РИА Новости"), id="cyrillic"
        ),
        pytest.param(
            "Réunion à Genève. Crédit photo : AFP", ("Réunion à Genève.", "AFP"), id="accented"
        ),
        pytest.param(
            "ראש הממשלה בירושלים. צילום: רויטרס",
            ("ראש הממשלה בירושלים.", "רויטרס"),
            id="hebrew",
        ),
        pytest.param("لقاء في موسكو. تصوير: رويترز", ("لقاء في موسكو.", "رويترز"), id="arabic"),
        pytest.param("Moscow. Photo:", ("Moscow.", None), id="bare-label-at-end"),
        pytest.param(
            "Lavrov in Moscow, photo: AP", ("Lavrov in Moscow, photo: AP", None), id="not-a-part"
        ),
        pytest.param(
            "The report's source: officials",
            ("The report's source: officials", None),
            id="label-word-mid-sentence",
        ),
    ],
)
def test_split_credit(text: str | None, expected: tuple[str | None, str | None]) -> None:
    assert split_credit(text) == expected


@pytest.mark.parametrize(
    ("text", "max_length", "expected"),
    [
        pytest.param(None, 160, False, id="none"),
        pytest.param("", 160, False, id="empty"),
        pytest.param("   ", 160, False, id="whitespace"),
        pytest.param("Photo: Sergei Guneyev/RIA Novosti", 160, True, id="seed"),
        pytest.param("Фото: РИА Новости", 160, True, id="cyrillic"),
        pytest.param("Crédit photo : AFP", 160, True, id="accented"),
        pytest.param("צילום: רויטרס", 160, True, id="hebrew"),
        pytest.param("Фото:", 160, True, id="bare-label"),
        pytest.param("The Russian foreign Minister Sergei Lavrov", 160, False, id="paragraph"),
        pytest.param("Source: " + "word " * 40, 160, False, id="too-long"),
        pytest.param("Source: " + "word " * 40, 300, True, id="longer-limit"),
        pytest.param("Photo: Sergei Guneyev/RIA Novosti", 20, False, id="short-limit"),
        pytest.param("Lavrov in Moscow. Photo: AP", 160, False, id="label-not-at-start"),
    ],
)
def test_is_credit_line(text: str | None, max_length: int, expected: bool) -> None:
    assert is_credit_line(text, max_length=max_length) is expected


# ---------------------------------------------------------------------- excerpts


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(None, None, id="none"),
        pytest.param("", None, id="empty"),
        pytest.param("  ", None, id="whitespace"),
        pytest.param("…", None, id="ellipsis-only"),
        pytest.param(" [...] ", None, id="bracketed-only"),
        pytest.param(
            "Raphael Lemkin, a stateless Jewish refugee who died penniless, gave mankind’s "
            "greatest crime its name. …",
            "Raphael Lemkin, a stateless Jewish refugee who died penniless, gave mankind’s "
            "greatest crime its name.",
            id="seed",
        ),
        pytest.param("its name…", "its name", id="no-space"),
        pytest.param("its name ...", "its name", id="three-dots"),
        pytest.param("its name....", "its name", id="four-dots"),
        pytest.param("its name […]", "its name", id="bracketed"),
        pytest.param("its name [...]", "its name", id="bracketed-dots"),
        pytest.param("its name (…)", "its name", id="parenthesised"),
        pytest.param("its name (...)", "its name", id="parenthesised-dots"),
        pytest.param("its name … […]", "its name", id="two-ellipses"),
        pytest.param("its\u00a0name\u00a0…", "its name", id="nbsp"),
        pytest.param("Лавров заявил…", "Лавров заявил", id="cyrillic"),
        pytest.param("Réunion à Genève …", "Réunion à Genève", id="accented"),
        pytest.param("لقاء في موسكو…", "لقاء في موسكو", id="arabic"),
        pytest.param("ראש הממשלה …", "ראש הממשלה", id="hebrew"),
        pytest.param("its name.", "its name.", id="full-stop-kept"),
        pytest.param("Wait..", "Wait..", id="two-dots-kept"),
        pytest.param("… and then", "… and then", id="leading-ellipsis-kept"),
    ],
)
def test_strip_ellipsis(text: str | None, expected: str | None) -> None:
    assert strip_ellipsis(text) == expected


# -------------------------------------------------------------------------- URLs

BASE = "https://jmn.info/category/policy/"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param(None, None, id="none"),
        pytest.param("", None, id="empty"),
        pytest.param(" \n ", None, id="whitespace"),
        pytest.param("#", None, id="hash"),
        pytest.param("#top", None, id="fragment-only"),
        pytest.param("javascript:void(0)", None, id="javascript"),
        pytest.param(" JavaScript:void(0)", None, id="javascript-upper"),
        pytest.param("java\nscript:alert(1)", None, id="javascript-split"),
        pytest.param("mailto:editor@jmn.info", None, id="mailto"),
        pytest.param("data:image/gif;base64,R0lGODlh", None, id="data"),
        pytest.param("tel:+74950000000", None, id="tel"),
        pytest.param("https://jmn.info/lavrov/", "https://jmn.info/lavrov/", id="absolute"),
        pytest.param(
            " /lavrov-said/?p=2#respond ",
            "https://jmn.info/lavrov-said/?p=2#respond",
            id="root-relative-keeps-query-fragment",
        ),
        pytest.param("page/2/", "https://jmn.info/category/policy/page/2/", id="relative"),
        pytest.param("../world/", "https://jmn.info/category/world/", id="dot-dot"),
        pytest.param("?page=2", "https://jmn.info/category/policy/?page=2", id="query-only"),
        pytest.param("//cdn.jmn.info/a.jpg", "https://cdn.jmn.info/a.jpg", id="scheme-relative"),
        pytest.param("/лавров/", "https://jmn.info/лавров/", id="cyrillic-not-encoded"),
        pytest.param("/café/", "https://jmn.info/café/", id="accented"),
        pytest.param("/مقال/", "https://jmn.info/مقال/", id="arabic"),
        pytest.param("/מאמר/", "https://jmn.info/מאמר/", id="hebrew"),
    ],
)
def test_absolute_url(url: str | None, expected: str | None) -> None:
    assert absolute_url(url, BASE) == expected


# ----------------------------------------------------------------- lists, names


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param([], [], id="empty-list"),
        pytest.param([None, "", "  ", "\u200b"], [], id="only-empties"),
        pytest.param(["Syria", "Russia"], ["Syria", "Russia"], id="distinct"),
        pytest.param(["Syria", " syria ", "SYRIA"], ["Syria"], id="case-insensitive-first-wins"),
        pytest.param(["b", "a", "B", "c", "A"], ["b", "a", "c"], id="first-position"),
        pytest.param(["Сирия", "СИРИЯ", "сирия"], ["Сирия"], id="cyrillic"),
        pytest.param(["Genève", "GENÈVE", "Geneve"], ["Genève", "Geneve"], id="accented"),
        pytest.param(["Straße", "STRASSE"], ["Straße"], id="casefold"),
        pytest.param(["سوريا", " سوريا"], ["سوريا"], id="arabic"),
        pytest.param(["ירושלים", "ירושלים "], ["ירושלים"], id="hebrew"),
        pytest.param(
            ["Minsk\u00a0agreements", "minsk agreements"], ["Minsk agreements"], id="space"
        ),
    ],
)
def test_unique(values: list[str | None], expected: list[str]) -> None:
    assert unique(values) == expected


def test_unique_accepts_any_iterable() -> None:
    assert unique(tag for tag in ("Syria", "syria", "NATO")) == ["Syria", "NATO"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(None, [], id="none"),
        pytest.param("", [], id="empty"),
        pytest.param(" \u00a0 ", [], id="whitespace"),
        pytest.param("By", [], id="bare-by"),
        pytest.param("By John Smith and Jane Doe", ["John Smith", "Jane Doe"], id="brief"),
        pytest.param("John Smith", ["John Smith"], id="single"),
        pytest.param("by: John Smith", ["John Smith"], id="by-colon"),
        pytest.param("Written by Jane Doe", ["Jane Doe"], id="written-by"),
        pytest.param(
            "John Smith, Jane Doe, and Bob Roe", ["John Smith", "Jane Doe", "Bob Roe"], id="oxford"
        ),
        pytest.param("Smith & Jones", ["Smith", "Jones"], id="ampersand"),
        pytest.param("JOHN SMITH AND JANE DOE", ["JOHN SMITH", "JANE DOE"], id="upper-and"),
        pytest.param("By John Smith, by Jane Doe", ["John Smith", "Jane Doe"], id="repeated-by"),
        pytest.param("John Smith; john smith", ["John Smith"], id="duplicate"),
        pytest.param("Byron Smith", ["Byron Smith"], id="by-prefix-of-name"),
        pytest.param("Alexander Andrews", ["Alexander Andrews"], id="and-inside-name"),
        pytest.param("Автор: Иван Петров", ["Иван Петров"], id="avtor"),
        pytest.param(
            "Авторы: Иван Петров и Анна Сидорова", ["Иван Петров", "Анна Сидорова"], id="avtory-i"
        ),
        pytest.param("Von Anna Müller und Jan Koch", ["Anna Müller", "Jan Koch"], id="von-und"),
        pytest.param("Par Jean Dupont et Marie Curie", ["Jean Dupont", "Marie Curie"], id="par-et"),
        pytest.param("Por Juan Pérez", ["Juan Pérez"], id="por"),
        pytest.param("Paris Hilton", ["Paris Hilton"], id="par-prefix-of-name"),
        pytest.param("محمد علي، أحمد حسن", ["محمد علي، أحمد حسن"], id="arabic-comma-not-split"),
        pytest.param("בני גנץ, יאיר לפיד", ["בני גנץ", "יאיר לפיד"], id="hebrew"),
    ],
)
def test_split_authors(text: str | None, expected: list[str]) -> None:
    assert split_authors(text) == expected


MOSCOW = timezone(timedelta(hours=3))


@pytest.mark.parametrize(
    ("value", "plausible"),
    [
        pytest.param(datetime(2016, 3, 24, 15, 7, 31, tzinfo=MOSCOW), True, id="day-before"),
        pytest.param(NOW, True, id="crawl-time"),
        pytest.param(NOW + timedelta(hours=3), True, id="moscow-time-labelled-utc"),
        pytest.param(NOW + timedelta(hours=14), True, id="14-hours-after"),
        pytest.param(NOW + timedelta(hours=14, seconds=1), False, id="over-14-hours-after"),
        pytest.param(NOW + timedelta(days=1), False, id="tomorrow"),
        pytest.param(datetime(2030, 3, 24, 15, 7, 31, tzinfo=MOSCOW), False, id="2030"),
        pytest.param(datetime(2016, 3, 25, 23, 30), False, id="naive-taken-as-utc"),
        pytest.param(datetime(1851, 9, 18, tzinfo=UTC), True, id="archive-1851"),
        pytest.param(datetime(1600, 1, 1, tzinfo=UTC), True, id="earliest"),
        pytest.param(datetime(1599, 12, 31, 23, 59, tzinfo=UTC), False, id="before-1600"),
        pytest.param(datetime(44, 3, 15, 14, 30, tzinfo=UTC), False, id="year-44"),
        pytest.param(datetime(1, 1, 1, tzinfo=MOSCOW), False, id="year-1-east-of-utc"),
        pytest.param(
            datetime(9999, 12, 31, 23, tzinfo=timezone(-timedelta(hours=5))),
            False,
            id="year-9999-west-of-utc",
        ),
    ],
)
def test_plausible_date(value: datetime, plausible: bool) -> None:
    assert (plausible_date(value, NOW) is value) is plausible


def test_plausible_date_of_none_is_none() -> None:
    assert plausible_date(None, NOW) is None


def test_plausible_date_takes_a_naive_now_as_utc() -> None:
    value = NOW + timedelta(minutes=30)
    assert plausible_date(value, NOW.replace(tzinfo=None)) is value
    assert plausible_date(value + timedelta(hours=14), NOW.replace(tzinfo=None)) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(None, None, id="none"),
        pytest.param("", None, id="empty"),
        pytest.param(" \u00a0 ", None, id="whitespace"),
        pytest.param(" Dmitry\u00a0Volkov ", "Dmitry Volkov", id="plain"),
        pytest.param("Дмитрий Волков", "Дмитрий Волков", id="cyrillic"),
        pytest.param("محمد علي", "محمد علي", id="arabic"),
        pytest.param("בני גנץ", "בני גנץ", id="hebrew"),
        pytest.param(
            "<a href='/author/dvolkov/'>Dmitry Volkov</a>", "Dmitry Volkov", id="link-markup"
        ),
        pytest.param("<b>Anna</b> Smith &amp; Jo Doe", "Anna Smith & Jo Doe", id="markup-entity"),
        pytest.param("Anna<br/>Jo Doe", "Anna Jo Doe", id="break"),
        pytest.param("<!-- x --><span></span>", None, id="markup-only"),
        pytest.param("Smith &amp; Jones", "Smith &amp; Jones", id="no-markup-no-decoding"),
        pytest.param("Anna <3 Smith", "Anna <3 Smith", id="lone-angle-bracket"),
        pytest.param("https://news.example/author/anna-smith/", None, id="url"),
        pytest.param(" HTTP://news.example/anna", None, id="url-upper"),
        pytest.param("//news.example/author/anna", None, id="scheme-relative"),
        pytest.param("www.news.example/anna", None, id="www"),
        pytest.param("<a href='/a'>https://news.example/a</a>", None, id="url-in-markup"),
        pytest.param("Anna Smith, news.example", "Anna Smith, news.example", id="domain-after"),
    ],
)
def test_structured_name(value: str | None, expected: str | None) -> None:
    assert structured_name(value) == expected


# -------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("languages", "zone", "text", "expected"),
    [
        pytest.param(["en", "ru"], "Europe/Moscow", None, None, id="none"),
        pytest.param(["en", "ru"], "Europe/Moscow", "", None, id="empty"),
        pytest.param(["en", "ru"], "Europe/Moscow", " \n ", None, id="whitespace"),
        pytest.param(["en", "ru"], "Europe/Moscow", "garbage", None, id="not-a-date"),
        pytest.param(["en", "ru"], "Europe/Moscow", "Lavrov said what Putin", None, id="text"),
        pytest.param(["en", "ru"], "Europe/Moscow", "2016-02-30", None, id="iso-invalid"),
        pytest.param(["en", "ru"], "Europe/Moscow", "0000-00-00 00:00:00", None, id="zero-date"),
        pytest.param(["en", "ru"], "Europe/Moscow", "March 2016", None, id="no-day"),
        pytest.param(["en", "ru"], "Europe/Moscow", "2016", None, id="year-only"),
        pytest.param(["en", "ru"], "Europe/Moscow", "1" * 300, None, id="too-long"),
        pytest.param(
            ["en", "ru"],
            "Europe/Moscow",
            "2016-03-24T15:07:31+03:00",
            "2016-03-24T15:07:31+03:00",
            id="iso-offset",
        ),
        pytest.param(
            ["en", "ru"],
            "Europe/Moscow",
            "2016-03-24T12:07:31Z",
            "2016-03-24T12:07:31+00:00",
            id="iso-z",
        ),
        pytest.param(
            ["en", "ru"],
            "Europe/Moscow",
            "2016-03-24t12:07:31z",
            "2016-03-24T12:07:31+00:00",
            id="iso-lower-z",
        ),
        pytest.param(
            ["en", "ru"],
            "Europe/Moscow",
            "2016-03-24 15:07:31",
            "2016-03-24T15:07:31+03:00",
            id="iso-naive-site-time",
        ),
        pytest.param(
            ["en", "ru"], "Europe/Moscow", "2016-03-24", "2016-03-24T00:00:00+03:00", id="iso-date"
        ),
        pytest.param(
            ["en", "ru"],
            "Europe/Moscow",
            " 2016-03-24T15:07:31.123456789+0300 ",
            "2016-03-24T15:07:31+03:00",
            id="iso-nanoseconds",
        ),
        pytest.param(
            ["de"],
            "Europe/Berlin",
            "2016-07-24 10:00:00",
            "2016-07-24T10:00:00+02:00",
            id="iso-naive-summer-time",
        ),
        pytest.param(
            ["de"], "Europe/Berlin", "2016-01-24", "2016-01-24T00:00:00+01:00", id="iso-winter"
        ),
        pytest.param(
            ["en", "ru"],
            "Europe/Moscow",
            "Thu, 24 Mar 2016 15:07:31 +0300",
            "2016-03-24T15:07:31+03:00",
            id="rfc2822",
        ),
        pytest.param(
            ["en", "ru"],
            "Europe/Moscow",
            "Thu, 24 Mar 2016 12:07:31 GMT",
            "2016-03-24T12:07:31+00:00",
            id="rfc2822-gmt",
        ),
        pytest.param(
            ["en", "ru"],
            "Europe/Moscow",
            "Thu, 24 Mar 2016 12:07:31 -0000",
            "2016-03-24T12:07:31+00:00",
            id="rfc2822-minus-zero",
        ),
        pytest.param(
            ["en", "ru"],
            "Europe/Moscow",
            "Thu, 24 Mar 2016 15:07:31",
            "2016-03-24T15:07:31+03:00",
            id="rfc2822-no-zone",
        ),
        pytest.param(
            ["en", "ru"],
            "Europe/Moscow",
            "March 24, 2016",
            "2016-03-24T00:00:00+03:00",
            id="english",
        ),
        pytest.param(
            ["en", "ru"],
            "Europe/Moscow",
            "24 марта 2016",
            "2016-03-24T00:00:00+03:00",
            id="russian",
        ),
        pytest.param(
            ["ru"],
            "Europe/Moscow",
            "24 марта 2016, 15:07",
            "2016-03-24T15:07:00+03:00",
            id="russian-time",
        ),
        pytest.param(
            ["en", "ru"], "Europe/Moscow", "24 марта", "2016-03-24T00:00:00+03:00", id="no-year"
        ),
        pytest.param(
            ["en", "ru"],
            "Europe/Moscow",
            "24 декабря",
            "2015-12-24T00:00:00+03:00",
            id="no-year-prefers-past",
        ),
        pytest.param(
            ["en"], "Europe/Moscow", "15:07", "2016-03-24T15:07:00+03:00", id="time-prefers-past"
        ),
        pytest.param(
            ["en", "ru"],
            "Europe/Moscow",
            "2 hours ago",
            "2016-03-25T10:00:00+03:00",
            id="relative-english",
        ),
        pytest.param(
            ["ru"],
            "Europe/Moscow",
            "5 минут назад",
            "2016-03-25T11:55:00+03:00",
            id="relative-russian",
        ),
        pytest.param(
            ["ru"], "Europe/Moscow", "вчера в 15:07", "2016-03-24T15:07:00+03:00", id="yesterday"
        ),
        pytest.param(
            ["en"], "UTC", "2 hours ago", "2016-03-25T07:00:00+00:00", id="relative-utc-site"
        ),
        pytest.param(
            ["ru", "en"], "Europe/Moscow", "03/04/2016", "2016-04-03T00:00:00+03:00", id="ru-order"
        ),
        pytest.param(
            ["en", "ru"], "Europe/Moscow", "03/04/2016", "2016-03-04T00:00:00+03:00", id="en-order"
        ),
        pytest.param(
            ["fr"],
            "Europe/Paris",
            "24 mars 2016 à 15h07",
            "2016-03-24T15:07:00+01:00",
            id="french-accented",
        ),
        pytest.param(
            ["de"], "Europe/Berlin", "24. Juli 2016", "2016-07-24T00:00:00+02:00", id="german-dst"
        ),
        pytest.param(
            ["ar"], "Asia/Riyadh", "24 مارس 2016", "2016-03-24T00:00:00+03:00", id="arabic"
        ),
        pytest.param(
            ["he"], "Asia/Jerusalem", "24 במרץ 2016", "2016-03-24T00:00:00+02:00", id="hebrew"
        ),
    ],
)
def test_date_parser_parse(
    languages: list[str], zone: str, text: str | None, expected: str | None
) -> None:
    parsed = DateParser(languages, zone).parse(text, NOW)
    if expected is None:
        assert parsed is None
    else:
        assert parsed is not None
        assert parsed.tzinfo is not None
        assert parsed.isoformat(timespec="seconds") == expected


class _NoDateparser:
    def __init__(self, *args: object, **kwargs: object) -> None:
        raise AssertionError("dateparser must not be used for this value")


@pytest.mark.parametrize(
    "text",
    [
        "2016-03-24T15:07:31+03:00",
        "2016-03-24T12:07:31Z",
        "2016-03-24 15:07:31",
        "2016-03-24",
        "2016-02-30",
        "Thu, 24 Mar 2016 15:07:31 +0300",
    ],
)
def test_date_parser_skips_dateparser_for_machine_dates(
    monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    monkeypatch.setattr(processors, "DateDataParser", _NoDateparser)
    expected = None if text == "2016-02-30" else datetime(2016, 3, 24, tzinfo=UTC).date()
    parsed = DateParser(["en"], "Europe/Moscow").parse(text, NOW)
    assert (parsed.date() if parsed else None) == expected


@pytest.mark.parametrize("text", ["2 hours ago", "2 hrs ago"])  # read without, with dateparser
def test_date_parser_counts_relative_dates_from_each_now(text: str) -> None:
    parser = DateParser(["en", "ru"], "Europe/Moscow")
    first = parser.parse(text, NOW)
    later = parser.parse(text, NOW + timedelta(days=1, minutes=30))
    again = parser.parse(text, NOW)
    assert first is not None
    assert later is not None
    assert later - first == timedelta(days=1, minutes=30)
    assert again == first


def test_date_parser_reuses_its_dateparser_for_the_same_now(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built: list[object] = []
    real = processors.DateDataParser

    def counting(*args: object, **kwargs: object) -> object:
        built.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(processors, "DateDataParser", counting)
    parser = DateParser(["en"], "Europe/Moscow")
    # (English "March 24, 2016" and "2 hours ago" are read without dateparser.)
    for text in ("yesterday", "2 hrs ago", "today"):
        assert parser.parse(text, NOW) is not None
    assert len(built) == 1
    parser.parse("2 hrs ago", NOW + timedelta(hours=1))
    assert len(built) == 2


def test_date_parser_takes_naive_now_as_utc() -> None:
    parser = DateParser(["en"], "Europe/Moscow")
    naive = parser.parse("2 hours ago", NOW.replace(tzinfo=None))
    assert naive == parser.parse("2 hours ago", NOW)


@pytest.mark.parametrize(
    "text", ["\x00", "((((", "99999-99-99", "Feb 30, 2016", "2016-13-45T25:61:00"]
)
def test_date_parser_never_raises(text: str) -> None:
    assert DateParser(["en", "ru"], "Europe/Moscow").parse(text, NOW) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(None, None, id="none"),
        pytest.param(
            datetime(2016, 3, 24, 15, 7, 31, tzinfo=timezone(timedelta(hours=3))),
            "2016-03-24T15:07:31+03:00",
            id="offset",
        ),
        pytest.param(
            datetime(2016, 3, 24, 15, 7, 31, 999_999, tzinfo=ZoneInfo("Europe/Moscow")),
            "2016-03-24T15:07:31+03:00",
            id="microseconds-dropped",
        ),
        pytest.param(datetime(2016, 3, 25, 9, tzinfo=UTC), "2016-03-25T09:00:00+00:00", id="utc"),
        pytest.param(datetime(2016, 3, 25, 9), "2016-03-25T09:00:00+00:00", id="naive-as-utc"),
        pytest.param(
            datetime(2016, 3, 24, tzinfo=timezone(-timedelta(hours=5, minutes=30))),
            "2016-03-24T00:00:00-05:30",
            id="negative-half-hour",
        ),
        pytest.param(
            datetime(2016, 3, 24, tzinfo=ZoneInfo("Asia/Kathmandu")),
            "2016-03-24T00:00:00+05:45",
            id="quarter-hour",
        ),
        pytest.param(
            datetime(1900, 1, 1, tzinfo=ZoneInfo("Europe/Moscow")),
            "1899-12-31T21:29:43+00:00",
            id="seconds-offset-to-utc",
        ),
        pytest.param(
            datetime(999, 1, 2, 3, 4, 5, tzinfo=UTC), "0999-01-02T03:04:05+00:00", id="padded-year"
        ),
    ],
)
def test_format_datetime(value: datetime | None, expected: str | None) -> None:
    assert format_datetime(value) == expected


def _formatted_by_fields(value: datetime) -> str:
    """The record format written field by field (how format_datetime wrote it before it
    handed whole-minute offsets to isoformat)."""
    offset = value.utcoffset()
    if offset is None:
        value, offset = value.replace(tzinfo=UTC), timedelta(0)
    elif offset % timedelta(minutes=1):
        value, offset = value.astimezone(UTC), timedelta(0)
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(offset) // timedelta(minutes=1)
    return (
        f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
        f"T{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
        f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"
    )


def test_format_datetime_writes_what_the_fields_give() -> None:
    """Random moments, with offsets of whole minutes, seconds and microseconds, either sign."""
    rng = random.Random(12)
    zones = [None, UTC, ZoneInfo("Europe/Moscow"), ZoneInfo("Asia/Kathmandu")]
    for _ in range(3000):
        moment = datetime(rng.randint(1, 9999), 1, 1) + timedelta(
            days=rng.randint(0, 364),
            seconds=rng.randint(0, 86399),
            microseconds=rng.randint(0, 999_999),
        )
        offset = timedelta(
            minutes=rng.randint(-1439, 1439),
            seconds=rng.choice([0, 0, rng.randint(-59, 59)]),
            microseconds=rng.choice([0, 0, 0, rng.randint(-999_999, 999_999)]),
        )
        for zone in [*zones, timezone(offset) if abs(offset) < timedelta(hours=24) else UTC]:
            value = moment if zone is None else moment.replace(tzinfo=zone)
            try:
                expected = _formatted_by_fields(value)
            except OverflowError:  # year 1 or 9999 moved out of range by the conversion
                continue
            assert format_datetime(value) == expected, value


def test_format_datetime_matches_the_record_format() -> None:
    formatted = format_datetime(DateParser(["en"], "Europe/Moscow").parse("March 24, 2016", NOW))
    assert formatted is not None
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", formatted)


# ----------------------------------------------------------------------- language


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(None, None, id="none"),
        pytest.param("", None, id="empty"),
        pytest.param(" \u00a0\n ", None, id="whitespace"),
        pytest.param("Kerry", None, id="too-short"),
        pytest.param("Путин и Керри", None, id="eleven-letters"),
        pytest.param("1234567890 1234567890 !!", None, id="no-letters"),
        pytest.param("Lavrov said what Putin agreed with Kerry", "en", id="seed-headline"),
        pytest.param(
            "Лавров рассказал, о чем договорились Путин с Керри", "ru", id="seed-original"
        ),
        pytest.param("ЛАВРОВ РАССКАЗАЛ О ПЕРЕГОВОРАХ С КЕРРИ", "ru", id="russian-upper"),
        pytest.param("iPhone 7 представлен официально", "ru", id="russian-with-latin"),
        pytest.param("Київ і Москва домовилися", "uk", id="ukrainian"),
        pytest.param("Der Bundestag hat heute beschlossen", "de", id="german"),
        pytest.param("Le président français a annoncé hier soir une réforme", "fr", id="french"),
        pytest.param("Újabb tárgyalások kezdődtek Moszkvában a békéről", "hu", id="hungarian"),
        pytest.param("Σήμερα η κυβέρνηση ανακοίνωσε", "el", id="greek"),
        pytest.param("الرئيس الروسي يلتقي وزير الخارجية الأمريكي في موسكو", "ar", id="arabic"),
        pytest.param("ראש הממשלה נפגש עם שר החוץ האמריקאי בירושלים", "he", id="hebrew"),
        pytest.param("وزیر امور خارجه روسیه با همتای آمریکایی خود دیدار کرد", "fa", id="persian"),
    ],
)
def test_detect_language(text: str | None, expected: str | None) -> None:
    assert detect_language(text) == expected


def test_detect_language_min_chars() -> None:
    assert detect_language("Путин и Керри") is None
    assert detect_language("Путин и Керри", min_chars=5) == "ru"
    assert detect_language("Lavrov said what Putin agreed with Kerry", min_chars=100) is None


def test_detect_language_reads_long_text() -> None:
    body = " ".join(["The Russian foreign Minister Sergei Lavrov gave a press conference."] * 200)
    assert detect_language(body) == "en"


class _FakeIdentifier:
    """Stands in for py3langid: always answers ``ranking``, best first."""

    def __init__(self, ranking: list[tuple[str, float]]) -> None:
        self.ranking = ranking

    def classify(self, text: str) -> tuple[str, float]:
        return self.ranking[0]

    def rank(self, text: str) -> list[tuple[str, float]]:
        return self.ranking

    @property
    def nb_classes(self) -> list[str]:
        return [label for label, _score in self.ranking]


@pytest.mark.parametrize(
    ("text", "ranking", "expected"),
    [
        pytest.param(
            "Лавров рассказал о переговорах",
            [("en", 0.40), ("ru", 0.35), ("uk", 0.20)],
            "ru",
            id="cyrillic-text-latin-guess",
        ),
        pytest.param(
            "Lavrov said what Putin agreed",
            [("ru", 0.50), ("pcm", 0.30), ("en", 0.20)],
            "en",
            id="latin-text-cyrillic-guess-skips-non-iso",
        ),
        pytest.param(
            "الرئيس الروسي يلتقي وزير الخارجية",
            [("ary", 0.60), ("ar", 0.30)],
            "ar",
            id="arabic-dialect-folded",
        ),
        pytest.param(
            "שר החוץ האמריקאי בירושלים",
            [("en", 0.50), ("hbo", 0.30), ("he", 0.20)],
            "he",
            id="hebrew-ancient-folded",
        ),
        pytest.param(
            "Лавров рассказал о переговорах",
            [("uk", 0.50), ("ru", 0.45)],
            "uk",
            id="same-script-guess-trusted",
        ),
    ],
)
def test_detect_language_trusts_the_script(
    monkeypatch: pytest.MonkeyPatch,
    text: str,
    ranking: list[tuple[str, float]],
    expected: str,
) -> None:
    monkeypatch.setattr(processors, "_language_identifier", lambda: _FakeIdentifier(ranking))
    assert detect_language(text) == expected


@pytest.mark.parametrize(
    ("text", "prefer", "expected"),
    [
        pytest.param("Госдума приняла закон о праймериз", ("en", "ru"), "ru", id="short-ru-title"),
        pytest.param("Lavrov said what Putin agreed with Kerry", ("en", "ru"), "en", id="en"),
        pytest.param(
            "Лавров рассказал, о чем договорились Путин с Керри", (), "ru", id="no-prefer"
        ),
        pytest.param(
            "Die Bundesregierung hat am Mittwoch neue Regeln beschlossen.",
            ("en", "ru"),
            "de",
            id="clear-other-language-kept",
        ),
        pytest.param("Kerry", ("en",), None, id="too-short"),
    ],
)
def test_detect_language_prefers_site_languages(
    text: str, prefer: tuple[str, ...], expected: str | None
) -> None:
    assert detect_language(text, prefer=prefer) == expected


def test_language_differs_only_for_scripts_the_model_can_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A model that knows no language written in Cyrillic names none for Cyrillic text, so
    such text is not "in a language other than English"."""
    russian = "Лавров рассказал о переговорах в Москве"
    monkeypatch.setattr(
        processors, "_language_identifier", lambda: _FakeIdentifier([("en", 0.6), ("de", 0.4)])
    )
    processors._answered_scripts.cache_clear()
    try:
        assert detect_language(russian) is None
        assert not language_differs(russian, "en")
        assert language_differs("Lavrov said what Putin agreed", "ru")
    finally:
        processors._answered_scripts.cache_clear()


def _strip_ellipsis_by_substitution(text: str | None) -> str | None:
    """strip_ellipsis as a substitution of the pattern over the whole text, repeated."""
    cleaned = normalize_space(text)
    while cleaned is not None:
        shorter = processors._TRAILING_ELLIPSIS.sub("", cleaned)
        if shorter == cleaned:
            break
        cleaned = shorter or None
    return cleaned


ELLIPSIS_PIECES = (
    " ",
    ".",
    "..",
    "…",
    "[",
    "]",
    "(",
    ")",
    "a",
    "x.",
    "\u00a0",
    "\t",
    "Лавров",
    "[…]",
)


def test_strip_ellipsis_removes_what_the_pattern_matches_anywhere() -> None:
    """The search from the text's trailing run of dots, ellipses, brackets and spaces
    gives what a substitution over the whole text gives, on texts made of those pieces."""
    rng = random.Random(7)
    stripped = 0
    for _ in range(5000):
        text = "".join(rng.choice(ELLIPSIS_PIECES) for _ in range(rng.randint(0, 12)))
        expected = _strip_ellipsis_by_substitution(text)
        assert strip_ellipsis(text) == expected, repr(text)
        stripped += expected != normalize_space(text)
    assert stripped > 500


def _normalize_space_plainly(value: str | None) -> str | None:
    """normalize_space without its shortcut for text that is normalised already."""
    if not isinstance(value, str):
        return None
    return " ".join(processors._INVISIBLE.sub("", value).split()) or None


SPACE_PIECES = (
    *(" ", "  ", "\t", "\n", "\r", "\x0b", "\x0c", "\x1c", "\x85", "\u00a0", "\u2003"),
    *("\u2028", "\u3000", "\u200b", "\ufeff", "\u00ad", "\u2060", "\u200c", "\u200d"),
    *("a", "Лавров", "x.", "שלום", "\u0301", "", "  y  "),
)


def test_normalize_space_of_normalised_text_is_that_text() -> None:
    """The shortcut for printable text without leading, trailing or doubled spaces gives
    what collapsing and stripping give, on texts made of every kind of space, the deleted
    zero-width characters and letters; and no character it lets through is whitespace
    (besides the space) or deleted."""
    rng = random.Random(11)
    shortcut = 0
    for _ in range(20000):
        text = "".join(rng.choice(SPACE_PIECES) for _ in range(rng.randint(0, 8)))
        assert normalize_space(text) == _normalize_space_plainly(text), repr(text)
        shortcut += text.isprintable() and text == _normalize_space_plainly(text)
    assert shortcut > 300
    printable_space = [
        hex(code)
        for code in range(0x110000)
        if chr(code) != " "
        and chr(code).isprintable()
        and (chr(code).isspace() or processors._INVISIBLE.match(chr(code)))
    ]
    assert printable_space == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        (False, False),
        ("false", False),
        (" False ", False),
        ("TRUE", True),
        ("http://schema.org/False", False),
        ("https://schema.org/True", True),
        ([False, True], False),
        ([], None),
        ("yes", None),
        ("0", None),
        (0, None),
        (1, None),
        (None, None),
        ({"@id": "https://schema.org/False"}, None),
    ],
)
def test_schema_boolean_reads_schema_org_booleans_only(
    value: object, expected: bool | None
) -> None:
    assert processors.schema_boolean(value) is expected
