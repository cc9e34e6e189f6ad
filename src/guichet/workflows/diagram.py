"""The workflow as a diagram: server-rendered SVG (no JavaScript, no external program) and a text alternative.

Statuses are boxes in their colour (the text is black or white, whichever contrasts more), laid out in columns
from left to right by their distance from the initial status (breadth-first); unreachable statuses go in a last
column. Arrows are the ways from one status to another (buttons, timers, automatic changes), labelled.
"""

from django.utils.html import escape
from django.utils.translation import gettext as _

from guichet.organisations.colours import contrast_ratio

from .validation import HEX_COLOUR, statuses_of, transitions

BOX_WIDTH = 170
BOX_HEIGHT = 54
COLUMN_GAP = 110
ROW_GAP = 46
MARGIN = 30
LABEL_MAX = 28
EDGE_COLOURS = {"button": "#1a1a1a", "timer": "#6b3d00", "on_enter": "#3d3d9e", "request_info": "#005a5a"}


def text_colour(background):
    """Black or white text on `background`, whichever has the better contrast."""
    if not HEX_COLOUR.match(background or ""):
        return "#000000"
    return "#000000" if contrast_ratio(background, "#000000") >= contrast_ratio(background, "#ffffff") else "#ffffff"


def _short(text, limit=LABEL_MAX):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def layout(defn):
    """{status id: (column, row)} by breadth-first search from the initial status."""
    statuses = [s for s in statuses_of(defn) if isinstance(s.get("id"), str)]
    ids = [s["id"] for s in statuses]
    edges = {}
    for transition in transitions(defn):
        edges.setdefault(transition.source, []).append(transition.target)
    column = {}
    initial = defn.get("initial") if isinstance(defn, dict) else None
    if isinstance(initial, str) and initial in ids:
        column[initial] = 0
        queue = [initial]
        while queue:
            current = queue.pop(0)
            for target in edges.get(current, []):
                if target in ids and target not in column:
                    column[target] = column[current] + 1
                    queue.append(target)
    last = max(column.values(), default=-1) + 1
    for sid in ids:
        column.setdefault(sid, last)
    positions, rows = {}, {}
    for sid in ids:
        col = column[sid]
        positions[sid] = (col, rows.get(col, 0))
        rows[col] = rows.get(col, 0) + 1
    return positions


def _box(col, row):
    x = MARGIN + col * (BOX_WIDTH + COLUMN_GAP)
    y = MARGIN + row * (BOX_HEIGHT + ROW_GAP)
    return x, y


def render_svg(defn, title=""):
    """The diagram as an SVG string (safe to include in a page: every text is escaped)."""
    positions = layout(defn)
    statuses = {s["id"]: s for s in statuses_of(defn) if isinstance(s.get("id"), str)}
    columns = max((c for c, _r in positions.values()), default=0) + 1
    rows = max((r for _c, r in positions.values()), default=0) + 1
    width = MARGIN * 2 + columns * BOX_WIDTH + (columns - 1) * COLUMN_GAP
    height = MARGIN * 2 + rows * BOX_HEIGHT + (rows - 1) * ROW_GAP + 40
    title = title or _("Diagramme du circuit")
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="workflow-diagram" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-labelledby="diagram-title diagram-desc" '
        f'font-family="Arial, sans-serif" font-size="13">',
        f'<title id="diagram-title">{escape(title)}</title>',
        f'<desc id="diagram-desc">{escape(_("Statuts du circuit et passages de l’un à l’autre ; la même information suit le diagramme sous forme de liste."))}</desc>',
        "<defs>",
    ]
    for kind, colour in EDGE_COLOURS.items():
        parts.append(
            f'<marker id="arrow-{kind}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" '
            f'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="{colour}"/></marker>'
        )
    parts.append("</defs>")
    # Arrows first, boxes over them.
    seen_pairs = {}
    for transition in transitions(defn):
        if transition.source not in positions or transition.target not in positions:
            continue
        pair = (transition.source, transition.target)
        order = seen_pairs.get(pair, 0)
        seen_pairs[pair] = order + 1
        parts.append(_edge(positions, transition, order))
    for sid, (col, row) in positions.items():
        status = statuses[sid]
        x, y = _box(col, row)
        fill = status.get("colour") if HEX_COLOUR.match(str(status.get("colour") or "")) else "#666666"
        ink = text_colour(fill)
        stroke = "#000000"
        dash = ' stroke-dasharray="5 3"' if status.get("visible") is False else ""
        border = 4 if status.get("final") else 1.5
        parts.append(f'<g class="status" data-status="{escape(sid)}">')
        parts.append(f'<rect x="{x}" y="{y}" width="{BOX_WIDTH}" height="{BOX_HEIGHT}" rx="8" fill="{fill}" '
                     f'stroke="{stroke}" stroke-width="{border}"{dash}/>')
        parts.append(f'<text x="{x + BOX_WIDTH / 2}" y="{y + 23}" text-anchor="middle" fill="{ink}" '
                     f'font-weight="bold">{escape(_short(status.get("label") or sid, 22))}</text>')
        flags = []
        if sid == defn.get("initial"):
            flags.append(_("initial"))
        if status.get("final"):
            flags.append(_("final"))
        if status.get("visible") is False:
            flags.append(_("interne"))
        if flags:
            parts.append(f'<text x="{x + BOX_WIDTH / 2}" y="{y + 42}" text-anchor="middle" fill="{ink}" '
                         f'font-size="11">{escape(", ".join(flags))}</text>')
        parts.append("</g>")
    legend_y = height - 18
    parts.append(f'<text x="{MARGIN}" y="{legend_y}" font-size="11" fill="#1a1a1a">'
                 f'{escape(_("Trait plein : bouton · tirets : délai automatique · pointillés : changement automatique · bordure épaisse : statut final · bordure en tirets : statut interne"))}'
                 "</text>")
    parts.append("</svg>")
    return "".join(parts)


def _edge(positions, transition, order):
    (sc, sr), (tc, tr) = positions[transition.source], positions[transition.target]
    sx, sy = _box(sc, sr)
    tx, ty = _box(tc, tr)
    colour = EDGE_COLOURS.get(transition.kind, "#1a1a1a")
    dash = {"timer": ' stroke-dasharray="7 4"', "on_enter": ' stroke-dasharray="2 3"'}.get(transition.kind, "")
    offset = order * 14
    if transition.source == transition.target:
        x1, y1 = sx + BOX_WIDTH * 0.65, sy
        x2, y2 = sx + BOX_WIDTH * 0.35, sy
        lift = 34 + offset
        path = f"M {x1} {y1} C {x1 + 20} {y1 - lift}, {x2 - 20} {y2 - lift}, {x2} {y2}"
        lx, ly = sx + BOX_WIDTH / 2, sy - lift + 4
    elif tc > sc:
        x1, y1 = sx + BOX_WIDTH, sy + BOX_HEIGHT / 2 + offset - 6
        x2, y2 = tx, ty + BOX_HEIGHT / 2 + offset - 6
        mid = (x1 + x2) / 2
        path = f"M {x1} {y1} C {mid} {y1}, {mid} {y2}, {x2} {y2}"
        lx, ly = mid, (y1 + y2) / 2 - 4
    else:
        # Backwards or within a column: a curve under the boxes.
        x1, y1 = sx + BOX_WIDTH / 2 - 10, sy + BOX_HEIGHT
        x2, y2 = tx + BOX_WIDTH / 2 + 10, ty + BOX_HEIGHT
        depth = 30 + offset + abs(sc - tc) * 6
        low = max(y1, y2) + depth
        path = f"M {x1} {y1} C {x1} {low}, {x2} {low}, {x2} {y2}"
        lx, ly = (x1 + x2) / 2, low - 4
    label = escape(_short(transition.label))
    return (
        f'<g class="transition"><path d="{path}" fill="none" stroke="{colour}" stroke-width="1.6"{dash} '
        f'marker-end="url(#arrow-{transition.kind})"/>'
        f'<text x="{lx}" y="{ly}" text-anchor="middle" font-size="11" fill="{colour}" stroke="#ffffff" '
        f'stroke-width="3" paint-order="stroke">{label}</text></g>'
    )


def text_alternative(defn):
    """The diagram as text: [(status label, flags, [(way, target label)])] in definition order."""
    statuses = {s["id"]: s for s in statuses_of(defn) if isinstance(s.get("id"), str)}
    ways = {}
    for transition in transitions(defn):
        kind = {"button": _("bouton « %(label)s »"), "timer": _("délai : %(label)s"),
                "on_enter": _("automatiquement"), "request_info": _("%(label)s")}[transition.kind]
        target = statuses.get(transition.target, {}).get("label") or transition.target
        ways.setdefault(transition.source, []).append((kind % {"label": transition.label}, target))
    result = []
    for sid, status in statuses.items():
        flags = []
        if sid == defn.get("initial"):
            flags.append(_("statut initial"))
        flags.append(_("final") if status.get("final") else _("en cours"))
        flags.append(_("visible par l'usager") if status.get("visible", True) else _("interne"))
        result.append((status.get("label") or sid, flags, ways.get(sid, [])))
    return result
