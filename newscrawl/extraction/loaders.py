"""Item loaders: where selected values are cleaned into record fields.

Input processors are wired per field here once; the selectors that feed them come from
the site profile. Every URL a record holds goes through ``record_url``: one that cannot
be valid is dropped (or repaired, when it needs only percent-encoding), so an optional
URL never makes a record invalid.

List fields are filled with :meth:`ProfileLoader.add_first_found`, which takes the first
selector that yields something, so a list is never filled twice from
overlapping selectors.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from functools import cache
from re import Pattern
from typing import Any, Self

from itemadapter import ItemAdapter
from itemloaders import ItemLoader, unbound_method
from itemloaders.common import wrap_loader_context
from itemloaders.processors import Identity, MapCompose, TakeFirst
from itemloaders.utils import arg_to_iter, get_func_args

from newscrawl.extraction.processors import (
    absolute_url,
    normalize_space,
    record_url,
    schema_boolean,
    strip_ellipsis,
    unique,
)
from newscrawl.items import Article, Breadcrumb, Image, Teaser

# ------------------------------------------------------------------------- loaders


def _absolute(value: Any, loader_context: dict[str, Any]) -> str | None:
    """Return ``value`` (an href as the page gives it) as an absolute URL a record may
    hold, or None (see absolute_url and record_url); None for anything but a string.

    The value is not whitespace-normalised first: a newline that wraps an href must be
    removed, as browsers remove it (absolute_url does), not turned into a space, which
    would then be percent-encoded into the URL as if the page had written one.
    """
    if not isinstance(value, str):
        return None
    return record_url(absolute_url(value, loader_context["base_url"]))


def _image_with_record_url(image: Any) -> Any:
    """Return ``image`` with a URL a record may hold (repaired if need be), or None to
    leave it out: one bad image URL must not make the whole record invalid."""
    if not isinstance(image, Image):
        return image
    url = record_url(image.url)
    if url is None:
        return None
    if url != image.url:
        image.url = url
    return image


class ProfileLoader(ItemLoader):
    """An ItemLoader whose selectors come from a profile: cleaned text by default.

    Processors are processor objects or module-level functions (not loader methods); they
    are looked up as itemloaders does (``<field>_in``/``<field>_out``, then the item
    field's metadata, then the default), once per loader class, item class and field.
    """

    default_input_processor = MapCompose(normalize_space)
    default_output_processor = TakeFirst()

    def get_input_processor(self, field_name: str) -> Callable[..., Any]:
        """Return the input processor of ``field_name`` (looked up once per class)."""
        return _field_processors(type(self), type(self.item), field_name)[0]

    def get_output_processor(self, field_name: str) -> Callable[..., Any]:
        """Return the output processor of ``field_name`` (looked up once per class)."""
        return _field_processors(type(self), type(self.item), field_name)[1]

    def _process_input_value(self, field_name: str, value: Any) -> Any:
        """Return ``value`` through the field's input processor, as itemloaders does.

        A MapCompose processor runs function by function, as MapCompose runs it, with the
        check of which functions take the loader context made once per class and field
        (MapCompose makes it on every call); any other processor, and any error, go through
        itemloaders' own code.
        """
        steps = _input_steps(type(self), type(self.item), field_name)
        if steps is None:
            return super()._process_input_value(field_name, value)
        try:
            return _run_steps(steps, value, self.context)
        except Exception:  # let itemloaders raise its own error
            return super()._process_input_value(field_name, value)

    def add_value(
        self,
        field_name: str | None,
        value: Any,
        *processors: Callable[..., Any],
        re: str | Pattern[str] | None = None,
        **kw: Any,
    ) -> Self:
        """Process ``value`` and add it to what ``field_name`` collected, as ItemLoader does.

        A value for one field, with no processors of its own, goes straight to the field's
        input processor (ItemLoader's ``get_value`` would hand it back unchanged); anything
        else goes through itemloaders' own code.
        """
        if processors or re or kw or not field_name or self.parent is not None:
            return super().add_value(field_name, value, *processors, re=re, **kw)
        if value is None:
            return self
        processed = self._process_input_value(field_name, _as_list(value))
        if processed:
            collected = self._local_values.setdefault(field_name, [])
            collected += _as_list(processed)
        return self

    def get_output_value(self, field_name: str) -> Any:
        """Return the collected values of ``field_name`` through its output processor, as
        ItemLoader does (whether the processor takes the loader context is known once per
        class and field)."""
        processor, takes_context = _output_step(type(self), type(self.item), field_name)
        values = self._values.get(field_name, [])
        try:
            if takes_context:
                return processor(values, loader_context=self.context)
            return processor(values)
        except Exception:  # let itemloaders raise its own error
            return super().get_output_value(field_name)

    def load_item(self) -> Any:
        """Return the item with the output value of every field that collected something,
        as ItemLoader does; a dataclass item's fields are set without an ItemAdapter."""
        item = self.item
        names = _dataclass_fields(type(item))
        if names is None or self.parent is not None:
            return super().load_item()
        for field_name in tuple(self._local_values):
            value = self.get_output_value(field_name)
            if value is not None:
                if field_name not in names:  # what ItemAdapter raises
                    raise KeyError(f"{type(item).__name__} does not support field: {field_name}")
                setattr(item, field_name, value)
        return item

    def add_first_found(self, field_name: str, candidates: Iterable[Any]) -> bool:
        """Collect ``field_name`` from the first candidate value that leaves something collected.

        Candidates are taken lazily, one at a time (each is what one query selected).
        Returns True when one did.
        """
        for values in candidates:
            self.add_value(field_name, values)
            if self.get_collected_values(field_name):
                return True
        return False


class ArticleLoader(ProfileLoader):
    """Cleans the top-level fields of an :class:`~newscrawl.items.Article`."""

    default_item_class = Article

    canonical_url_in = MapCompose(_absolute)
    authors_out = unique
    tags_out = unique
    body_out = Identity()
    breadcrumb_in = Identity()
    breadcrumb_out = Identity()
    images_in = MapCompose(_image_with_record_url)
    images_out = Identity()
    teasers_in = Identity()
    teasers_out = Identity()
    headline_alt_in = Identity()
    free_access_in = MapCompose(schema_boolean)


class BreadcrumbLoader(ProfileLoader):
    """Cleans one breadcrumb step."""

    default_item_class = Breadcrumb
    url_in = MapCompose(_absolute)


class TeaserLoader(ProfileLoader):
    """Cleans one teaser: absolute url, excerpt without its trailing ellipsis."""

    default_item_class = Teaser
    url_in = MapCompose(_absolute)
    excerpt_in = MapCompose(strip_ellipsis)


@cache
def _field_processors(
    loader_class: type[ItemLoader], item_class: type, field_name: str
) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """Return the (input, output) processors ``loader_class`` applies to ``field_name``."""
    meta = ItemAdapter.get_field_meta_from_class(item_class, field_name)
    processors = []
    for suffix, key, default in (
        ("in", "input_processor", loader_class.default_input_processor),
        ("out", "output_processor", loader_class.default_output_processor),
    ):
        processor = getattr(loader_class, f"{field_name}_{suffix}", None)
        processors.append(unbound_method(processor or meta.get(key, default)))
    return processors[0], processors[1]


def _takes_context(function: Callable[..., Any]) -> bool:
    return "loader_context" in get_func_args(function)


@cache
def _output_step(
    loader_class: type[ItemLoader], item_class: type, field_name: str
) -> tuple[Callable[..., Any], bool]:
    """Return ``field_name``'s output processor and whether it takes the loader context."""
    processor = _field_processors(loader_class, item_class, field_name)[1]
    return processor, _takes_context(processor)


@cache
def _dataclass_fields(item_class: type) -> frozenset[str] | None:
    """Return the field names of a dataclass ``item_class`` (an ItemAdapter sets those and
    no other), None for any other kind of item."""
    if not dataclasses.is_dataclass(item_class):
        return None
    if ItemAdapter.get_field_names_from_class(item_class) is None:
        return None
    return frozenset(f.name for f in dataclasses.fields(item_class))


def _as_list(value: Any) -> Any:
    """Return what itemloaders' ``arg_to_iter`` returns for ``value``.

    A ``str``, a ``list`` and a ``tuple`` (nearly every value a field sees) are answered
    here: itemloaders tests a class that is not iterable against its abstract base
    classes on every call. A str is never a list, tuple, set or iterator (it has no
    ``__next__``); anything else goes to ``arg_to_iter``.
    """
    kind = type(value)
    if kind is str:
        return [value]
    if kind is list or kind is tuple:
        return value
    return arg_to_iter(value)


Steps = tuple[tuple[Callable[..., Any], bool], ...]
"""A MapCompose's functions, each with whether it takes the loader context."""


@cache
def _input_steps(loader_class: type[ItemLoader], item_class: type, field_name: str) -> Steps | None:
    """Return the steps of ``field_name``'s input processor when it is a MapCompose with no
    context of its own (what :func:`_run_steps` runs as MapCompose would), else None."""
    input_processor = _field_processors(loader_class, item_class, field_name)[0]
    if type(input_processor) is MapCompose and not input_processor.default_loader_context:
        return tuple((f, _takes_context(f)) for f in input_processor.functions)
    return None


def _run_steps(steps: Steps, value: Any, context: MutableMapping[str, Any]) -> list[Any]:
    """Return what MapCompose with these ``steps`` makes of ``value``: each function applied
    to every value the one before gave (lists flattened, None dropped)."""
    values = _as_list(value)
    for function, takes_context in steps:
        next_values: list[Any] = []
        for v in values:
            out = function(v, loader_context=context) if takes_context else function(v)
            if out is None:
                continue
            if type(out) is str:
                next_values.append(out)
            else:
                next_values += _as_list(out)
        values = next_values
    return list(values)


@cache
def _field_cleaner(
    loader_class: type[ItemLoader], item_class: type, field_name: str
) -> Callable[[Any, MutableMapping[str, Any]], Any]:
    """Return ``clean(value, context)``: ``field_name``'s value as ``loader_class`` loads it.

    It applies the input processor, then (when that collected anything) the output
    processor, as ``add_value`` + ``load_item`` do, and gives None when nothing is left.
    A MapCompose input processor runs function by function (:func:`_run_steps`).
    """
    input_processor = _field_processors(loader_class, item_class, field_name)[0]
    output_processor, output_takes_context = _output_step(loader_class, item_class, field_name)
    steps = _input_steps(loader_class, item_class, field_name)

    def clean(value: Any, context: MutableMapping[str, Any]) -> Any:
        values = _as_list(value)
        if steps is None:
            values = wrap_loader_context(input_processor, context)(values)
        else:
            try:
                values = _run_steps(steps, values, context)
            except Exception:  # let MapCompose raise its own error
                values = wrap_loader_context(input_processor, context)(arg_to_iter(value))
        if not values:
            return None
        # As wrap_loader_context calls it, with whether it takes the context known once.
        if output_takes_context:
            return output_processor(list(_as_list(values)), loader_context=context)
        return output_processor(list(_as_list(values)))

    return clean


@cache
def _record_cleaners(
    loader_class: type[ProfileLoader],
) -> dict[str, Callable[[Any, MutableMapping[str, Any]], Any]]:
    """Return the cleaner (:func:`_field_cleaner`) of each field of ``loader_class``'s
    item, looked up once per class: a page loads many small records (teasers, crumbs)."""
    item_class = loader_class.default_item_class
    names = _dataclass_fields(item_class) or frozenset()
    return {name: _field_cleaner(loader_class, item_class, name) for name in names}


def load_record(
    loader_class: type[ProfileLoader], values: Mapping[str, Any], **context: Any
) -> Any:
    """Return the record ``loader_class`` would load from ``values``, without making a loader.

    ``values`` maps field names to a value or a list of values, as one ``add_value`` per
    field (in that order) would take them; ``context`` is the loader context
    (``base_url``). The result equals ``loader_class(**context)`` + ``add_value`` per field
    + ``load_item()``: the same processors, in the same order. This is for the many small
    records of one page (breadcrumb steps, teasers), where a loader apiece costs more than
    the cleaning.
    """
    item = loader_class.default_item_class()
    context.update(selector=None, item=item)
    cleaners = _record_cleaners(loader_class)
    for field_name, value in values.items():
        if value is None:
            continue
        clean = cleaners.get(field_name) or _field_cleaner(loader_class, type(item), field_name)
        output = clean(value, context)
        if output is not None:
            setattr(item, field_name, output)
    return item
