"""Altair charts shared by the pages: one look for trends, stacked spend, budgets and positions.

Charts that drill carry a point selection named `pick` on one field; `dashboards.drill` reads it."""
from __future__ import annotations

import altair as alt
import pandas as pd

WARNING = "#d62728"   # under-licensed, overlap, stale: the colour that asks for action
OK = "#2ca02c"
NEUTRAL = "#4c78a8"
PICK = "pick"

# Fixed colours for the fields every page stacks by, so a state or status looks the same
# everywhere and only what asks for action is red.
SCALES = {
    "lifecycle_state": (["planned", "in_stock", "in_use", "in_repair", "retired", "disposed", "(unknown)"],
                        ["#9ecae9", "#6baed6", "#2171b5", "#fdae6b", "#bdbdbd", "#737373", "#e7e7e7"]),
    "status": (["new", "open", "reopened", "resolved"], ["#ff7f0e", "#4c78a8", WARNING, "#bdbdbd"]),
    "activity": (["active", "idle"], ["#2171b5", "#c6dbef"]),
}


EXTRA = ["#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"]


def _color(df: pd.DataFrame, field: str, title: str | None = None) -> alt.Color:
    scale = alt.Undefined
    if field in SCALES:  # known values in their colours; values a taxonomy adds get further ones
        domain, colours = list(SCALES[field][0]), list(SCALES[field][1])
        extra = sorted({str(v) for v in df[field].dropna()} - set(domain)) if field in df else []
        scale = alt.Scale(domain=domain + extra, range=colours + [EXTRA[i % len(EXTRA)] for i in range(len(extra))])
    return alt.Color(f"{field}:N", title=title if title is not None else field.replace("_", " "), scale=scale)


def _tips(df: pd.DataFrame, cols) -> list[alt.Tooltip]:
    """Typed tooltips (an empty frame gives altair nothing to infer types from)."""
    out = []
    for c in cols:
        if c not in df.columns:
            continue
        if pd.api.types.is_datetime64_any_dtype(df[c]):
            out.append(alt.Tooltip(f"{c}:T", format="%Y-%m-%d"))
        elif pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c]):
            out.append(alt.Tooltip(f"{c}:Q", format=",.2~f"))
        else:
            out.append(alt.Tooltip(f"{c}:N"))
    return out


def _pick(field: str) -> alt.Parameter:
    return alt.selection_point(name=PICK, fields=[field], on="click", clear="dblclick")


def trend(df: pd.DataFrame, y: str, color: str | None = None, *, title: str = "", y_title: str | None = None,
          facet: str | None = None, columns: int = 3, facet_sort: list | None = None) -> alt.Chart:
    """Lines across as-of dates (x = as_of_date), optionally one line per `color` or a panel per `facet`."""
    # As-of dates are snapshots (quarter-ends), not a continuous time: one tick per snapshot.
    data = df.assign(as_of_date=df["as_of_date"].astype(str))
    enc = dict(x=alt.X("as_of_date:O", title="as of", axis=alt.Axis(labelAngle=0)),
               y=alt.Y(f"{y}:Q", title=y_title if y_title is not None else y,
                       axis=alt.Axis(tickMinStep=1, format="d") if pd.api.types.is_integer_dtype(data[y])
                       else alt.Undefined),
               tooltip=_tips(data, data.columns))
    if color:
        enc["color"] = alt.Color(f"{color}:N", title=color.replace("_", " "))
    chart = alt.Chart(data).mark_line(point=True).encode(**enc)
    if facet:
        chart = chart.properties(width=170, height=110).facet(
            facet=alt.Facet(f"{facet}:N", title=None, sort=facet_sort or "ascending"), columns=columns)
        chart = chart.resolve_scale(y="independent")
    return chart.properties(title=title) if title else chart


def stacked_bars(df: pd.DataFrame, category: str, value: str, stack: str, *, horizontal: bool = True,
                 title: str = "", value_title: str | None = None, drill: bool = True, sort: str | list = "-x") -> alt.Chart:
    """Bars per `category`, stacked by `stack`; a click selects a category (drill)."""
    cat = (alt.Y(f"{category}:N", sort=sort, title=None) if horizontal
           else alt.X(f"{category}:N", sort=sort, title=None, axis=alt.Axis(labelAngle=0)))
    # counts get whole-number ticks (no "0.5 exceptions")
    counts = value in df and pd.api.types.is_integer_dtype(df[value])
    val = (alt.X if horizontal else alt.Y)(f"{value}:Q", title=value_title or value.replace("_", " "), stack="zero",
                                           axis=alt.Axis(tickMinStep=1, format="d") if counts else alt.Undefined)
    enc = {"y" if horizontal else "x": cat, "x" if horizontal else "y": val,
           "color": _color(df, stack),
           "tooltip": _tips(df, (category, stack, value))}
    chart = alt.Chart(df).mark_bar().encode(**enc)
    if drill:
        sel = _pick(category)
        chart = chart.add_params(sel).encode(opacity=alt.condition(sel, alt.value(1.0), alt.value(0.35)))
    return chart.properties(title=title) if title else chart


def license_position(df: pd.DataFrame) -> alt.Chart:
    """Position per product (entitlements − consumption); under-licensed bars in the warning colour."""
    data = df.assign(status=df["position"].map(lambda p: "under-licensed" if p < 0 else "covered"))
    sel = _pick("product")
    return (alt.Chart(data).mark_bar().encode(
        x=alt.X("position:Q", title="entitlements − consumption (units)"),
        y=alt.Y("product:N", sort="x", title=None),
        color=alt.Color("status:N", title=None,
                        scale=alt.Scale(domain=["under-licensed", "covered"], range=[WARNING, OK])),
        opacity=alt.condition(sel, alt.value(1.0), alt.value(0.35)),
        tooltip=_tips(data, ("publisher", "product", "license_metric", "entitlements", "consumption",
                             "position", "true_up_exposure_one_time", "true_up_exposure_per_year",
                             "recurring_savings_per_year")))
        .add_params(sel))


def budget_by_quarter(df: pd.DataFrame, quarter: str, value: str, stack: str) -> alt.Chart:
    """Planned refresh cost per planned quarter, stacked (action, cost center or reason); click a
    quarter to drill."""
    return stacked_bars(df, quarter, value, stack, horizontal=False, sort="ascending",
                        value_title="planned cost")


def flagged_bars(df: pd.DataFrame, category: str, value: str, flag: str, *, value_title: str = "",
                 labels: tuple[str, str] = ("flagged", "not flagged")) -> alt.Chart:
    """Bars with rows where `flag` is true in the warning colour (overlap, stale)."""
    data = df.assign(_flag=df[flag].map(lambda v: labels[0] if bool(v) else labels[1]))
    sel = _pick(category)
    return (alt.Chart(data).mark_bar().encode(
        x=alt.X(f"{value}:Q", title=value_title or value.replace("_", " "),
                axis=alt.Axis(tickMinStep=1, format="d") if pd.api.types.is_integer_dtype(df[value]) else alt.Undefined),
        y=alt.Y(f"{category}:N", sort="-x", title=None),
        color=alt.Color("_flag:N", title=None, scale=alt.Scale(domain=list(labels), range=[WARNING, NEUTRAL])),
        opacity=alt.condition(sel, alt.value(1.0), alt.value(0.35)),
        tooltip=_tips(df, df.columns)).add_params(sel))


def grouped_bars(df: pd.DataFrame, category: str, value: str, group: str, *, value_title: str = "") -> alt.Chart:
    """Bars side by side per `category`, one per `group` (e.g. paid seats next to active users)."""
    return alt.Chart(df).mark_bar().encode(
        y=alt.Y(f"{category}:N", title=None), yOffset=alt.YOffset(f"{group}:N"),
        x=alt.X(f"{value}:Q", title=value_title or value.replace("_", " ")),
        color=alt.Color(f"{group}:N", title=None), tooltip=_tips(df, (category, group, value)))
