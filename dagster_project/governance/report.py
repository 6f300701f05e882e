"""The governance model as a readable page for the governance meeting (`itam taxonomy report`),
and the `itam taxonomy check` command.

The page is built once as a small list of blocks (headings, paragraphs, tables) and rendered to
Markdown or to self-contained HTML (inline CSS, no script), so both formats say the same thing.
The output depends only on the YAML files (no clock), so two reports diff cleanly.
"""
from __future__ import annotations

import html
import sys
from dataclasses import dataclass
from pathlib import Path

from dagster_project.governance.loading import load_taxonomy
from dagster_project.governance.problems import TaxonomyError
from dagster_project.governance.schema import CLOUD_RULE_CONDITIONS, PATTERN_CONDITIONS
from dagster_project.governance.taxonomy import IMPLICIT_FX_FROM, Taxonomy

# ---------------------------------------------------------------------------------------------
# Document blocks
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Span:
    """Inline text: kind '' (plain), 'code' or 'inherited' (title says where it came from)."""
    text: str
    kind: str = ""
    title: str = ""
    indent: int = 0  # tree depth (first column of the class tree)


Cell = "str | Span | list[Span]"


@dataclass(frozen=True)
class Heading:
    level: int
    text: str


@dataclass(frozen=True)
class Para:
    spans: tuple


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple, ...]


def _spans(cell) -> list[Span]:
    if isinstance(cell, Span):
        return [cell]
    if isinstance(cell, (list, tuple)):
        return [c if isinstance(c, Span) else Span(str(c)) for c in cell]
    return [Span("" if cell is None else str(cell))]


def _yes(v) -> str:
    return "—" if v is None else ("yes" if v else "no")


def _num(v):
    return int(v) if isinstance(v, float) and v.is_integer() else v


def _blank(v) -> str:
    return "—" if v is None or v == "" else str(v)


POLICY_MEANINGS = {
    "reporting_currency": "all money in the marts is converted to this currency",
    "cmdb_stale_window_days": "a CMDB CI not updated for longer is stale",
    "reclaim_window_days": "a licensed install or SaaS seat unused for longer is reclaimable",
    "deployment_window_days": "purchased hardware not in the CMDB or discovery this long after ordering is an exception",
    "warranty_horizon_months": "warranty ends within this horizon are planned for refresh",
    "eol_horizon_months": "end-of-life dates within this horizon are planned for refresh",
    "age_horizon_months": "assets reaching their class refresh cycle within this horizon are planned for refresh",
    "capitalisation_threshold": "hardware of a capitalised class at or above this unit cost must be in the fixed-asset register",
    "default_cores_per_device": "cores assumed for core-licensed devices when discovery reports none",
    "declining_balance_factor": "rate multiplier for declining-balance depreciation (2 = double-declining)",
    "kpi_materiality_pct": "KPI changes smaller than this share show as flat",
    "unallocated_cost_center": "cloud spend no cloud cost rule places is reported on this cost center",
}


def _conditions(rule) -> list[Span]:
    out: list[Span] = []
    for c in PATTERN_CONDITIONS:
        v = getattr(rule, c)
        if v is not None:
            if out:
                out.append(Span(" and "))
            out += [Span(f"{c} ~ "), Span(v, "code")]
    if rule.has_term_end is not None:
        if out:
            out.append(Span(" and "))
        out.append(Span(f"has a term end: {_yes(rule.has_term_end)}"))
    return out or [Span("(any record)")]


def build_document(t: Taxonomy) -> list:
    classes = t.classes
    crules = t.classification_rules
    orules = t.ownership_rules
    lc, pol, norm = t.lifecycle, t.policies, t.normalisation
    doc: list = [Heading(1, "ITAM governance model")]
    doc.append(Para((Span("Declared in "), Span(str(t.directory), "code"), Span(" (version "),
                     Span(t.content_hash[:12], "code"),
                     Span(f"): {len(classes)} asset classes, {len(crules)} classification rules, "
                          f"{len(orules)} ownership rules, {len(lc.states)} lifecycle states; "
                          f"money in {pol.reporting_currency}."))))

    # -- classes --
    doc.append(Heading(2, "Asset classes"))
    doc.append(Para((Span("Each class refines its parent; a value it does not set is inherited "
                          "(shown in italics). Required fields are the minimum data every asset of "
                          "the class must carry."),)))
    rows = []
    for c in classes.values():
        def val(attr, text, c=c):  # bound now: called within this iteration only
            src = c.inherited.get(attr)
            return Span(text, "inherited", f"inherited from {src}") if src else text
        rows.append((
            Span(c.class_id, "code", indent=c.depth), c.label,
            val("lifecycle_tracking", _blank(c.lifecycle_tracking)),
            val("useful_life_months", _blank(c.useful_life_months)),
            val("refresh_cycle_months", _blank(c.refresh_cycle_months)),
            val("depreciation_method", _blank(c.depreciation_method)),
            val("capitalise", _yes(c.capitalise)),
            val("required_fields", ", ".join(c.required_fields) or "—"),
        ))
    doc.append(Table(("Class", "Label", "Lifecycle tracking", "Useful life (months)",
                      "Refresh cycle (months)", "Depreciation", "Capitalise", "Required fields"), tuple(rows)))

    # -- classification --
    doc.append(Heading(2, "Classification rules"))
    doc.append(Para((Span("Read top to bottom: the first rule that matches a record assigns its class "
                          "(lower precedence wins). Conditions are case-insensitive regular expressions "
                          "searched in the record's attribute; a record no rule matches is an "),
                     Span("unclassified", "code"), Span(" exception."))))
    doc.append(Table(("Precedence", "Rule", "Applies to", "Conditions", "Assigns class"), tuple(
        (r.precedence, Span(r.id, "code"), r.applies_to, _conditions(r),
         Span(classes[r.class_].class_path, "code")) for r in crules)))
    assigned = {r.class_ for r in crules}
    leaves_unassigned = [c for c in classes if not t.children(c) and c not in assigned]
    if leaves_unassigned:
        doc.append(Para((Span("Leaf classes no rule assigns: " + ", ".join(leaves_unassigned) + "."),)))

    # -- ownership --
    doc.append(Heading(2, "Ownership rules"))
    doc.append(Para((Span("Every asset gets the owner of the first matching rule (lower precedence "
                          "wins). A rule's class covers its descendants; an asset no rule matches is an "),
                     Span("unowned", "code"), Span(" exception."))))
    doc.append(Table(("Precedence", "Rule", "Class (and descendants)", "Cost center", "Owning function",
                      "Accountable owner", "Asset manager"), tuple(
        (r.precedence, Span(r.rule_id, "code"), Span(r.class_id, "code") if r.class_id else "any class",
         r.cost_center or "any", r.owning_function, r.accountable_owner,
         Span(r.asset_manager, "inherited", f"from asset_managers: {r.asset_manager_from}")
         if r.asset_manager_from else r.asset_manager) for r in orules)))
    if t.ownership.asset_managers:
        doc.append(Para((Span("Default asset managers (used by a rule that names none):"),)))
        doc.append(Table(("Class (and descendants)", "Asset manager"), tuple(
            (Span(c, "code"), m) for c, m in t.ownership.asset_managers.items())))
    uncovered, partial = [], []
    for c in classes:
        if c not in assigned:
            continue
        chain = set(t.ancestors(c))
        scoped = [r for r in orules if r.class_id is None or r.class_id in chain]
        if not scoped:
            uncovered.append(c)
        elif all(r.cost_center is not None for r in scoped):
            partial.append(c)
    if uncovered:
        doc.append(Para((Span("Coverage gap — classes assigned by a classification rule that no ownership "
                              "rule covers (every such asset is unowned): " + ", ".join(uncovered) + "."),)))
    if partial:
        doc.append(Para((Span("Partly covered — owned only in the cost centers named by a rule: "
                              + ", ".join(partial) + "."),)))

    # -- lifecycle --
    doc.append(Heading(2, "Lifecycle"))
    doc.append(Para((Span("States in order, and the moves allowed between two exports (staying in the "
                          "same state is always allowed; any other move is an "),
                     Span("invalid_transition", "code"), Span(" exception)."))))
    doc.append(Table(("#", "State", "May move to"), tuple(
        (i, Span(s, "code"), ", ".join(lc.transitions.get(s, [])) or "— (final)")
        for i, s in enumerate(lc.states, start=1))))
    doc.append(Para((Span("Retirement evidence (required on retired and disposed assets): "
                          + ", ".join(lc.retirement_evidence) + "."),)))
    for system, mapping in lc.status_map.items():
        doc.append(Heading(3, f"Status map: {system}"))
        by_state: dict[str, list[str]] = {s: [] for s in lc.states}
        for status, state in mapping.items():
            by_state.setdefault(state, []).append(status.strip().lower())
        doc.append(Table(("State", f"{system} status words (case-insensitive)"), tuple(
            (Span(s, "code"), ", ".join(words) or "—") for s, words in by_state.items())))

    # -- policies --
    doc.append(Heading(2, "Policies"))
    doc.append(Table(("Policy", "Value", "Meaning"), tuple(
        (Span(k, "code"), _num(getattr(pol, k)), POLICY_MEANINGS[k]) for k in POLICY_MEANINGS)))
    doc.append(Heading(3, "Stale windows by discovery source"))
    doc.append(Table(("Discovery source", "Stale after (days)"), tuple(
        (Span(s, "code"), d) for s, d in pol.stale_window_days.items())))
    doc.append(Heading(3, f"FX rates to {pol.reporting_currency}"))
    fx = [(Span(cur, "code"), r.from_, r.rate) for cur, rates in pol.fx_rates.items() for r in rates]
    if pol.reporting_currency not in pol.fx_rates:
        fx.insert(0, (Span(pol.reporting_currency, "code"), IMPLICIT_FX_FROM, Span("1.0", "inherited", "implied")))
    doc.append(Table(("Currency", "From month", "Rate"), tuple(fx)))
    if pol.shared_cost_centers:
        doc.append(Heading(3, "Shared cost centers (spread by driver)"))
        doc.append(Table(("Cost center", "Driver", "By account category"), tuple(
            (Span(cc, "code"), Span(sc.driver, "code"),
             ", ".join(f"{cat}: {d}" for cat, d in sc.by_category.items()) or "—")
            for cc, sc in pol.shared_cost_centers.items())))
    if pol.cloud_cost_rules:
        doc.append(Heading(3, "Cloud cost rules (first match by precedence)"))
        doc.append(Table(("Rule", "Precedence", "Conditions", "Cost center"), tuple(
            (Span(r.id, "code"), r.precedence,
             ", ".join(f"{c} ~ {getattr(r, c)}" for c in CLOUD_RULE_CONDITIONS if getattr(r, c)) or "any charge",
             r.cost_center or "the matching tag's value")
            for r in sorted(pol.cloud_cost_rules, key=lambda r: (r.precedence, r.id)))))

    # -- normalisation --
    doc.append(Heading(2, "Normalisation dictionaries"))
    n_pub = sum(len(a) for a in norm.publisher_aliases.values())
    n_prod = sum(len(p) for p in norm.product_aliases.values())
    doc.append(Para((Span(f"{len(norm.publisher_aliases)} publishers with {n_pub} aliases, {n_prod} product "
                          f"families, {sum(len(a) for a in norm.saas_categories.values())} SaaS apps in "
                          f"{len(norm.saas_categories)} categories, {len(norm.unauthorised_software)} "
                          "unauthorised-software rules. Names are compared normalised (lower case, "
                          "punctuation and legal suffixes such as Inc. or GmbH removed)."),)))
    doc.append(Heading(3, "Publishers"))
    doc.append(Table(("Publisher", "Also written as"), tuple(
        (p, ", ".join(a) or "—") for p, a in norm.publisher_aliases.items())))
    if norm.product_aliases:
        doc.append(Heading(3, "Product families"))
        doc.append(Table(("Publisher", "Product", "Also installed as"), tuple(
            (pub, prod, ", ".join(a) or "—") for pub, prods in norm.product_aliases.items()
            for prod, a in prods.items())))
    if norm.saas_categories:
        doc.append(Heading(3, "SaaS function categories"))
        doc.append(Para((Span("Two or more paid apps in one category are an overlap."),)))
        doc.append(Table(("Category", "Apps"), tuple(
            (Span(c, "code"), ", ".join(a)) for c, a in norm.saas_categories.items())))
    if norm.unauthorised_software:
        doc.append(Heading(3, "Unauthorised software"))
        doc.append(Table(("Rule", "Publisher pattern", "Product pattern", "Reason"), tuple(
            (Span(rid, "code"), Span(u.publisher, "code"), Span(u.product, "code"), u.reason)
            for rid, u in t.unauthorised_rules)))
    if norm.eol_products:
        doc.append(Heading(3, "End-of-life products"))
        doc.append(Para((Span("Which endoflife.date product and release cycle an operating system or model "
                              "is; the first matching rule of each kind wins. \\1, \\2 in a cycle stand "
                              "for the pattern's groups."),)))
        doc.append(Table(("Rule", "Reads", "Pattern", "Product", "Cycle"), tuple(
            (Span(r.id, "code"), r.match, Span(r.pattern, "code"), Span(r.product, "code"), Span(r.cycle, "code"))
            for r in norm.eol_products)))
    return doc


# ---------------------------------------------------------------------------------------------
# Renderers
# ---------------------------------------------------------------------------------------------

def _md_inline(spans: list[Span], in_table: bool) -> str:
    out = []
    for s in spans:
        text = s.text
        if s.kind == "code":
            tick = "``" if "`" in text else "`"
            text = f"{tick}{text}{tick}"
        elif s.kind == "inherited" and text:
            text = "_" + text.replace("_", r"\_") + "_"
        if s.indent:
            text = "\u00a0\u00a0\u00a0\u00a0" * (s.indent - 1) + "└─\u00a0" + text
        out.append(text)
    text = "".join(out)
    if in_table:
        text = text.replace("|", r"\|").replace("\n", " ")
    return text


def _render_md(doc: list) -> str:
    lines: list[str] = []
    for b in doc:
        if isinstance(b, Heading):
            lines += ["#" * b.level + " " + b.text, ""]
        elif isinstance(b, Para):
            lines += [_md_inline(list(b.spans), False), ""]
        elif isinstance(b, Table):
            lines.append("| " + " | ".join(b.headers) + " |")
            lines.append("|" + "|".join("---" for _ in b.headers) + "|")
            for row in b.rows:
                lines.append("| " + " | ".join(_md_inline(_spans(c), True) for c in row) + " |")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


CSS = """
body { font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: #1d2733;
       max-width: 1200px; margin: 2rem auto; padding: 0 1rem; line-height: 1.45; }
h1 { font-size: 1.7rem; border-bottom: 3px solid #2f5d8a; padding-bottom: .3rem; }
h2 { font-size: 1.3rem; margin-top: 2.2rem; color: #2f5d8a; border-bottom: 1px solid #c9d6e3; }
h3 { font-size: 1.05rem; margin-top: 1.4rem; }
table { border-collapse: collapse; margin: .6rem 0 1rem; font-size: .9rem; width: 100%; }
th, td { border: 1px solid #d5dde6; padding: .3rem .55rem; text-align: left; vertical-align: top; }
th { background: #eef3f8; font-weight: 600; }
tr:nth-child(even) td { background: #fafcfe; }
code { font-family: "SFMono-Regular", Consolas, "Liberation Mono", monospace; font-size: .85em;
       background: #f1f4f7; padding: 0 .25em; border-radius: 3px; word-break: break-word; }
.inh { font-style: italic; color: #6b7785; }
.tree { white-space: nowrap; }
@media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; } tr { break-inside: avoid; } }
"""


def _html_inline(spans: list[Span]) -> str:
    out = []
    for s in spans:
        text = html.escape(s.text)
        if s.kind == "code":
            text = f"<code>{text}</code>"
        elif s.kind == "inherited":
            text = f'<span class="inh" title="{html.escape(s.title)}">{text}</span>'
        if s.indent:
            text = "&nbsp;&nbsp;&nbsp;&nbsp;" * (s.indent - 1) + "└─&nbsp;" + text
        out.append(text)
    return "".join(out)


def _render_html(doc: list) -> str:
    title = next((b.text for b in doc if isinstance(b, Heading)), "Governance model")
    parts = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>{html.escape(title)}</title>", f"<style>{CSS}</style>", "</head>", "<body>"]
    for b in doc:
        if isinstance(b, Heading):
            parts.append(f"<h{b.level}>{html.escape(b.text)}</h{b.level}>")
        elif isinstance(b, Para):
            parts.append(f"<p>{_html_inline(list(b.spans))}</p>")
        elif isinstance(b, Table):
            parts.append("<table>")
            parts.append("<thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in b.headers) + "</tr></thead>")
            parts.append("<tbody>")
            for row in b.rows:
                cells = []
                for c in row:
                    spans = _spans(c)
                    cls = ' class="tree"' if any(s.indent for s in spans) else ""
                    cells.append(f"<td{cls}>{_html_inline(spans)}</td>")
                parts.append("<tr>" + "".join(cells) + "</tr>")
            parts.append("</tbody></table>")
    parts += ["</body>", "</html>"]
    return "\n".join(parts) + "\n"


def render_report(taxonomy: Taxonomy, fmt: str = "md") -> str:
    """The governance model as a Markdown ('md') or self-contained HTML ('html') page."""
    doc = build_document(taxonomy)
    if fmt == "md":
        return _render_md(doc)
    if fmt == "html":
        return _render_html(doc)
    raise ValueError(f"unknown report format {fmt!r} (use md or html)")


# ---------------------------------------------------------------------------------------------
# Commands (wired into the CLI by dagster_project/commands/taxonomy.py)
# ---------------------------------------------------------------------------------------------

def _directory(directory) -> Path:
    if directory is None:
        from dagster_project.settings import Settings

        return Settings.from_env().taxonomy
    return Path(directory)


def _print_errors(directory: Path, exc: TaxonomyError) -> None:
    n = len(exc.problems)
    print(f"taxonomy in {directory} is invalid ({n} problem{'s' if n != 1 else ''}):", file=sys.stderr)
    for p in exc.problems:
        print(f"  {p}", file=sys.stderr)


def check_command(directory=None) -> int:
    """`itam taxonomy check`: 0 and a one-line summary when valid, else 1 and every problem."""
    directory = _directory(directory)
    try:
        t = load_taxonomy(directory)
    except TaxonomyError as exc:
        _print_errors(directory, exc)
        return 1
    print(f"taxonomy OK: {len(t.asset_classes.classes)} classes, "
          f"{len(t.asset_classes.classification_rules)} classification rules, "
          f"{len(t.ownership.rules)} ownership rules")
    return 0


def report_command(directory=None, fmt: str = "md", out=None) -> int:
    """`itam taxonomy report`: the page on stdout, or written to `out`."""
    directory = _directory(directory)
    try:
        t = load_taxonomy(directory)
    except TaxonomyError as exc:
        _print_errors(directory, exc)
        return 1
    text = render_report(t, fmt or "md")
    if out is None:
        sys.stdout.write(text)
    else:
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        print(f"wrote {out}", file=sys.stderr)
    return 0
