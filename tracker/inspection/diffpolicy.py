"""What a later revision changed in a signed PDF: pyHanko's difference analysis, plus comments.

pyHanko compares every revision appended after a signature with the signed
one and names the strictest level that explains all of it: ``NONE``,
``LTA_UPDATES`` (later signatures' fields, document timestamps, LTV data),
``FORM_FILLING``, ``ANNOTATIONS`` or ``OTHER``.  Its default policy has no
rule for ``ANNOTATIONS`` (its documentation says so): a sticky note added by
a viewer after signing comes out as ``OTHER``, the same as a replaced page.

:data:`DIFF_POLICY` is pyHanko's default policy with one rule more,
:class:`CommentRule`, reviewed step by step when needed (:class:`StepwisePolicy`);
:class:`CommentRule` which explains at ``ANNOTATIONS`` level a revision that
only adds, edits or removes *comments*: markup annotations (sticky notes,
highlights, stamps, drawings, their pop-ups) that carry no action, together
with the objects they newly bring (appearance streams) and the page's
``/Annots`` entry.  Everything else about the page must be unchanged.  Links,
file attachments, media and widgets are not comments: a link acts, an
attachment carries a file, widgets are the form rule's business.

Runs only inside the sandbox worker (it reads untrusted input).
"""

from __future__ import annotations

from collections.abc import Iterator

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PdfReadError
from pyhanko.pdf_utils.reader import HistoricalResolver, RawPdfPath
from pyhanko.sign.diff_analysis import (
    DEFAULT_DIFF_POLICY,
    DiffResult,
    ModificationLevel,
    QualifiedWhitelistRule,
    ReferenceUpdate,
    StandardDiffPolicy,
    SuspiciousModification,
)
from pyhanko.sign.diff_analysis.rules_api import RelativeContext

# Annotation subtypes that only show a remark (ISO 32000-2 §12.5.6, markup
# annotations, and their pop-ups).
COMMENT_SUBTYPES = frozenset(
    {
        "/Text", "/FreeText", "/Line", "/Square", "/Circle", "/Polygon", "/PolyLine",
        "/Highlight", "/Underline", "/Squiggly", "/StrikeOut", "/Stamp", "/Caret",
        "/Ink", "/Popup", "/Redact",
    }
)  # fmt: skip
MAX_PAGE_TREE_DEPTH = 32
LEVEL = ModificationLevel.ANNOTATIONS
INHERITABLE = frozenset({"/Resources", "/MediaBox", "/CropBox", "/Rotate"})
_DAMAGED = (KeyError, TypeError, ValueError, AttributeError, IndexError, PdfReadError)


class CommentRule(QualifiedWhitelistRule):
    """Explains pages whose only change is comments added, edited or removed.

    Never raises: what it cannot explain it leaves unexplained, so that the
    policy reports it as ``OTHER`` (or another rule explains it).
    """

    def apply_qualified(
        self, old: HistoricalResolver, new: HistoricalResolver
    ) -> Iterator[tuple[ModificationLevel, ReferenceUpdate]]:
        try:
            pages = list(_page_pairs(old, new, old.root["/Pages"], new.root["/Pages"], 0))
        except _DAMAGED:
            return  # a damaged page tree: nothing is explained
        for page_ref in pages:
            try:
                updates = list(_page_comments(old, new, page_ref))
            except _DAMAGED:
                continue  # a damaged page or annotation: left unexplained
            yield from updates


def _page_pairs(old, new, old_node, new_node, depth: int) -> Iterator:
    """The reference of every page, as long as the page tree's shape is unchanged."""
    if depth > MAX_PAGE_TREE_DEPTH:
        return
    old_kids, new_kids = _refs(old_node.raw_get("/Kids")), _refs(new_node.raw_get("/Kids"))
    if old_kids is None or old_kids != new_kids:
        return
    for ref in old_kids:
        old_kid, new_kid = old(ref), new(ref)
        if not isinstance(old_kid, generic.DictionaryObject):
            continue
        if old_kid.get("/Type") == "/Pages":
            yield from _page_pairs(old, new, old_kid, new_kid, depth + 1)
        elif old_kid.get("/Type") == "/Page":
            yield ref


def _page_comments(old: HistoricalResolver, new: HistoricalResolver, page_ref):
    """The updates that explain one page whose only change is its comments (none otherwise).

    A page rewritten with nothing changed but inherited attributes written out
    (pypdf copies the page tree's /MediaBox into every page it writes) is no
    change at all, explained at ``LTA_UPDATES``.
    """
    old_page, new_page = old(page_ref), new(page_ref)
    if not isinstance(new_page, generic.DictionaryObject):
        return
    old_annots, new_annots = _annots(old_page), _annots(new_page)
    if old_annots is None or new_annots is None:
        return
    changed = new.explicit_refs_in_revision()
    if page_ref in changed and not _same_page(old_page, new_page):
        return
    added = [ref for ref in new_annots if ref not in old_annots]
    removed = [ref for ref in old_annots if ref not in new_annots]
    edited = [ref for ref in new_annots if ref in old_annots and ref in changed]
    if not all(_is_comment(new(ref)) for ref in added) or not all(
        _is_comment(old(ref)) for ref in removed
    ):
        return
    if not all(_is_comment(old(ref)) and _is_comment(new(ref)) for ref in edited):
        return
    if any(ref in changed and not old.is_ref_unassignable(ref) for ref in added):
        return  # a "new" comment written over an object the signed revision used
    level = LEVEL if added or removed or edited else ModificationLevel.LTA_UPDATES
    # Pages are referenced from many places (page tree, outlines, widgets' /P):
    # the page may be approved everywhere because nothing but its comments changed.
    if page_ref in changed:
        yield level, ReferenceUpdate(page_ref)
    yield from _annots_array(old, old_page, new_page, page_ref, level)
    for ref in added + edited:
        yield LEVEL, ReferenceUpdate(ref)
        for dependency in new.collect_dependencies(new(ref), since_revision=old.revision + 1):
            yield LEVEL, ReferenceUpdate(dependency)


def _same_page(old_page, new_page) -> bool:
    """Whether two versions of a page are the same apart from /Annots: every other key
    has the same value, an inherited attribute counting as the page's own."""
    keys = (set(old_page.keys()) | set(new_page.keys())) - {"/Annots"}
    return all(_same(_effective(old_page, key), _effective(new_page, key)) for key in keys)


def _effective(page, key: str):
    """The raw value of ``key`` on ``page``, or inherited from its ancestors (ISO 32000-2
    §7.7.3.4: /Resources, /MediaBox, /CropBox, /Rotate); ``None`` when there is none."""
    node, depth = page, 0
    while isinstance(node, generic.DictionaryObject) and depth <= MAX_PAGE_TREE_DEPTH:
        if key in node:
            return node.raw_get(key)
        if key not in INHERITABLE:
            return None
        parent = node.raw_get("/Parent") if "/Parent" in node else None
        node, depth = (parent.get_object() if parent is not None else None), depth + 1
    return None


def _same(old_value, new_value) -> bool:
    """Equal raw values: two references must be the same object; a reference and a
    direct value are compared by what the reference holds."""
    old_is_ref = isinstance(old_value, generic.IndirectObject)
    new_is_ref = isinstance(new_value, generic.IndirectObject)
    if old_is_ref and new_is_ref:
        return old_value.reference == new_value.reference
    if old_is_ref:
        old_value = old_value.get_object()
    if new_is_ref:
        new_value = new_value.get_object()
    return old_value == new_value


def _annots_array(old: HistoricalResolver, old_page, new_page, page_ref, level):
    """The page's /Annots array itself, when it is an object of its own."""
    old_value = old_page.raw_get("/Annots") if "/Annots" in old_page else None
    new_value = new_page.raw_get("/Annots") if "/Annots" in new_page else None
    if not isinstance(new_value, generic.IndirectObject):
        return
    new_ref = new_value.reference
    same = isinstance(old_value, generic.IndirectObject) and old_value.reference == new_ref
    if same or old.is_ref_unassignable(new_ref):
        context = RelativeContext(page_ref, RawPdfPath("/Annots"))
        yield level, ReferenceUpdate(new_ref, context_checked=context)


def _annots(page) -> list | None:
    """The page's annotations as references (``[]`` when it has none, ``None`` if malformed)."""
    if "/Annots" not in page:
        return []
    return _refs(page.raw_get("/Annots"))


def _refs(value) -> list | None:
    """An array of indirect objects as their references; ``None`` for anything else."""
    if isinstance(value, generic.IndirectObject):
        value = value.get_object()
    if not isinstance(value, generic.ArrayObject):
        return None
    items = [value.raw_get(i) for i in range(len(value))]
    if not all(isinstance(item, generic.IndirectObject) for item in items):
        return None
    return [item.reference for item in items]


def _is_comment(annotation) -> bool:
    """A markup annotation or pop-up that does nothing when clicked or shown."""
    if not isinstance(annotation, generic.DictionaryObject):
        return False
    if annotation.get("/Subtype") not in COMMENT_SUBTYPES:
        return False
    return "/A" not in annotation and "/AA" not in annotation and "/FT" not in annotation


class StepwisePolicy(StandardDiffPolicy):
    """pyHanko's review, and when it finds a revision unexplained, a review step by step.

    pyHanko judges each later revision's writes against the *signed*
    revision.  A revision that countersigns a document commented on before
    (or comments on one countersigned before) then shows the form rule a page
    that gained a widget *and* a comment at once, which it refuses.  Judged
    against the revision just before it, each revision does one permitted
    thing, and every write of every revision is still judged once.  Only
    when that also fails is the change reported as unexplained (``OTHER``).
    """

    def review_file(self, reader, base_revision, field_mdp_spec=None, doc_mdp=None):
        whole = super().review_file(reader, base_revision, field_mdp_spec, doc_mdp)
        if not isinstance(whole, SuspiciousModification):
            return whole
        base = base_revision if isinstance(base_revision, int) else base_revision.revision
        stepwise = self._stepwise(reader, base, field_mdp_spec, doc_mdp)
        return whole if isinstance(stepwise, SuspiciousModification) else stepwise

    def _stepwise(self, reader, base: int, field_mdp_spec, doc_mdp):
        level, fields = ModificationLevel.NONE, set()
        for revision in range(base + 1, reader.xrefs.total_revisions):
            try:
                result = self.apply(
                    old=reader.get_historical_resolver(revision - 1),
                    new=reader.get_historical_resolver(revision),
                    field_mdp_spec=field_mdp_spec,
                    doc_mdp=doc_mdp,
                )
            except SuspiciousModification as exc:
                return exc
            level = max(level, result.modification_level)
            fields |= result.changed_form_fields
        return DiffResult(level, fields)


DIFF_POLICY = StepwisePolicy(
    global_rules=[*DEFAULT_DIFF_POLICY.global_rules, CommentRule()],
    form_rule=DEFAULT_DIFF_POLICY.form_rule,
)
