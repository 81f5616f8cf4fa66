"""The Jinja2 environment: packaged templates, overridable from the show's ``templates/``."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
import markupsafe
from markupsafe import Markup, escape

from ..common.codestamp import code_digest
from ..errors import AudiofeedError
from . import formatting

TEMPLATE_DIR = "templates"
#: Static files copied to ``assets/`` (overridable like the templates, never rendered).
ASSETS = ("style.css", "site.js")


class TemplateError(AudiofeedError):
    """A page template (usually an organiser's override) cannot be loaded or rendered."""


class Templates:
    """Renders pages; a file in ``SHOW/templates/`` wins over the packaged one of that name."""

    def __init__(self, show_root: Path, compiled: Path | None = None):
        self.override_dir = show_root / TEMPLATE_DIR
        cache = None
        if compiled is not None:  # Jinja2 keys it by template name and source checksum
            compiled.mkdir(parents=True, exist_ok=True)
            cache = jinja2.FileSystemBytecodeCache(str(compiled))
        loaders: list[jinja2.BaseLoader] = []
        if self.override_dir.is_dir():
            loaders.append(jinja2.FileSystemLoader(self.override_dir, encoding="utf-8"))
        loaders.append(jinja2.PackageLoader("audiofeed.site", TEMPLATE_DIR, encoding="utf-8"))
        self.env = jinja2.Environment(
            loader=jinja2.ChoiceLoader(loaders),
            autoescape=True,  # every page is HTML: escape everything not explicitly Markup
            undefined=jinja2.StrictUndefined,  # a typo in an override is an error, not blank
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            auto_reload=False,
            bytecode_cache=cache,  # one build, one environment: no stat of the source per page
        )
        self.env.filters.update(
            timestamp=formatting.timestamp,
            duration=formatting.duration,
            size=formatting.size,
            href=href,
            person=person_html,
            names=names_html,
        )

    def _where(self, name: str) -> Path:
        override = self.override_dir / name
        return override if override.is_file() else Path(__file__).parent / TEMPLATE_DIR / name

    def render(self, name: str, **context: Any) -> bytes:
        """Render template ``name``; problems become one-line errors naming the file."""
        return self.text(name, **context).encode("utf-8")

    def text(self, name: str, **context: Any) -> str:
        """``render``, as text."""
        try:
            return self.env.get_template(name).render(**context)
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(
                f"template syntax error: {exc.message}",
                path=exc.filename or self._where(exc.name or name),
                field=f"line {exc.lineno}",
            ) from exc
        except jinja2.TemplateNotFound as exc:
            raise TemplateError(
                f"template {exc.name!r} not found (in {self.override_dir} or audiofeed's own)",
                path=self._where(name),
            ) from exc
        except Exception as exc:  # an override may fail at run time in any way
            path, line = _template_frame(exc, self._where(name))
            message = exc.message if isinstance(exc, jinja2.TemplateError) else str(exc)
            raise TemplateError(
                f"{type(exc).__name__}: {message}; see docs/archive.md for what each page gets",
                path=path,
                field=f"line {line}" if line else None,
            ) from exc

    def fingerprint(self) -> str:
        """A digest of everything a page is made from besides its context: audiofeed's code
        and packaged templates, the show's overriding templates, Jinja2 and MarkupSafe."""
        h = hashlib.blake2b(digest_size=16)
        escaping = os.stat(markupsafe.__file__)  # no __version__ any more: its file stands in
        libraries = (
            f"jinja2 {jinja2.__version__}; markupsafe {escaping.st_size} {escaping.st_mtime_ns}"
        )
        h.update(f"{code_digest()}; {libraries}".encode())
        if self.override_dir.is_dir():
            for path in sorted(self.override_dir.rglob("*")):
                if path.is_file():
                    h.update(f"\0{path.relative_to(self.override_dir)}\0".encode())
                    h.update(path.read_bytes())
        return h.hexdigest()

    def asset(self, name: str) -> bytes:
        """A static file's bytes (the show's override if present)."""
        try:
            source, _filename, _uptodate = self.env.loader.get_source(self.env, name)  # type: ignore[union-attr]
        except jinja2.TemplateNotFound as exc:  # pragma: no cover - packaged files exist
            raise TemplateError(f"asset {name!r} not found", path=self._where(name)) from exc
        return source.encode("utf-8")


def person_html(p: Any) -> Markup:
    """One person as the archive shows them: linked name, role, affiliation (escaped).
    The same as ``_people.html``'s ``person`` macro (kept for overrides), ~20x faster: the
    index of a big archive has thousands."""
    name = escape(p.name)
    out = f'<a href="{escape(p.url)}">{name}</a>' if p.url else str(name)
    if p.role:
        out += f', <span class="role">{escape(p.role)}</span>'
    if p.affiliation:
        out += f' <span class="affiliation">({escape(p.affiliation)})</span>'
    return Markup(out)


def names_html(people: Iterable[Any]) -> Markup:
    """People separated by commas (``_people.html``'s ``names`` macro)."""
    return Markup(", ".join(person_html(p) for p in people))


@jinja2.pass_context
def href(context: jinja2.runtime.Context, path: str) -> str:
    """A link to ``path`` (relative to the archive root) from the page being rendered;
    absolute URLs stay as they are."""
    if urlsplit(path).scheme:
        return path
    return str(context.get("root", "")) + path


def _template_frame(exc: BaseException, default: Path) -> tuple[Path, int | None]:
    """The template file and line a render error happened in (Jinja2 maps tracebacks)."""
    found: tuple[Path, int | None] = (default, None)
    tb = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith((".html", ".htm", ".xml", ".txt")):
            found = (Path(filename), tb.tb_lineno)
        tb = tb.tb_next
    return found
