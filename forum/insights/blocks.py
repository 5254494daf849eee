"""The dashboard's blocks: each a dict with its summary tiles (this period, the previous
one, and n), a chart (label, value, shown text) and the table behind it (columns and
rows: what the CSV holds and a screen reader reads)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from functools import cached_property

from flask import current_app

from forum.insights import cache
from forum.insights import definitions as d
from forum.insights import queries as q
from forum.insights.queries import Period, local_date
from forum.insights.rollups import timezone

BLOCKS = ("speed", "resolution", "satisfaction", "moderation", "incidents", "search", "talk", "sentiment", "team")
TITLES = {
    "speed": "Speed of response", "resolution": "Resolution", "satisfaction": "Satisfaction",
    "moderation": "Moderation", "incidents": "Incidents", "search": "Search and deflection",
    "talk": "What customers talk about", "sentiment": "Sentiment", "team": "Team",
}


def duration(value: float | None) -> str:
    if value is None:
        return "–"
    minutes = round(value / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    return f"{hours / 24:.1f} days"


def pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


def tile(label: str, current, previous, fmt, n: int | None = None, *, points: bool = False) -> dict:
    delta = d.change(current, previous)
    if delta is None:
        change = "no comparison"
    elif points:
        change = f"{delta * 100:+.0f} points"
    elif fmt is duration:
        change = ("+" if delta >= 0 else "−") + duration(abs(delta))
    else:
        change = f"{delta:+g}"
    return {"label": label, "value": fmt(current), "previous": fmt(previous), "change": change, "n": n}


def number(v) -> str:
    return "–" if v is None else (f"{v:.2f}" if isinstance(v, float) and not float(v).is_integer() else f"{int(v)}")


def chart(rows: list[tuple[str, float | None, str]]) -> list[dict]:
    top = max((v for _, v, _ in rows if v), default=0) or 1
    return [{"label": label, "value": v or 0, "text": text, "width": round(100 * (v or 0) / top, 1)}
            for label, v, text in rows]


# --- the blocks -----------------------------------------------------------------------

def speed(ctx) -> dict:
    cur, prev = ctx.facts, ctx.prev_facts
    anyone = d.response_summary(f.response_s for f in cur)
    staff = d.response_summary(f.staff_response_s for f in cur)
    p_any = d.response_summary(f.response_s for f in prev)
    p_staff = d.response_summary(f.staff_response_s for f in prev)
    tiles = [
        tile("First response (anyone), median", anyone["median"], p_any["median"], duration, anyone["answered"]),
        tile("First response (anyone), p90", anyone["p90"], p_any["p90"], duration, anyone["answered"]),
        tile("First Customer Care response, median", staff["median"], p_staff["median"], duration, staff["answered"]),
        tile("First Customer Care response, p90", staff["p90"], p_staff["p90"], duration, staff["answered"]),
        tile("Customer Care within 1 h", staff["within_1h"], p_staff["within_1h"], pct, staff["asked"], points=True),
        tile("Customer Care within 24 h", staff["within_24h"], p_staff["within_24h"], pct, staff["asked"], points=True),
    ]
    by_day = defaultdict(list)
    for f in cur:
        by_day[f.asked_day].append(f)
    rows, bars = [], []
    for day in ctx.period.dates():
        s = d.response_summary(f.staff_response_s for f in by_day.get(day, []))
        a = d.response_summary(f.response_s for f in by_day.get(day, []))
        rows.append([day.isoformat(), s["asked"], duration(a["median"]), duration(s["median"]), duration(s["p90"]),
                     pct(s["within_1h"]), pct(s["within_24h"])])
        bars.append((day.isoformat(), (s["median"] or 0) / 3600, duration(s["median"])))
    board_rows = []
    if ctx.period.board is None:
        by_board = defaultdict(list)
        for f in cur:
            by_board[f.category_id].append(f)
        for b in ctx.boards:
            s = d.response_summary(f.staff_response_s for f in by_board.get(b.id, []))
            board_rows.append([b.name, s["asked"], duration(s["median"]), duration(s["p90"]), pct(s["within_24h"])])
    return {"tiles": tiles, "chart": chart(bars), "chart_label": "Median first Customer Care response by day (hours)",
            "columns": ["Day", "Asked", "First response (anyone), median", "Customer Care, median", "Customer Care, p90",
                        "Customer Care within 1 h", "Customer Care within 24 h"],
            "rows": rows, "backlog": None,  # live: filled in by build()
            "extra_table": {"caption": "By board", "columns": ["Board", "Asked", "Customer Care, median",
                                                               "Customer Care, p90", "Within 24 h"],
                            "rows": board_rows} if board_rows else None}


def resolution(ctx) -> dict:
    cur = d.resolution_summary(ctx.facts)
    prev = d.resolution_summary(ctx.prev_facts)
    tiles = [
        tile("Solved within 7 days", cur["solved_7d"], prev["solved_7d"], pct, cur["asked"], points=True),
        tile("Time to solution, median", cur["median"], prev["median"], duration, cur["solved"]),
        tile("Time to solution, p90", cur["p90"], prev["p90"], duration, cur["solved"]),
        tile("Reopen rate", cur["reopen_rate"], prev["reopen_rate"], pct, cur["asked"], points=True),
        tile("Solved by Customer Care", cur["staff_share"], prev["staff_share"], pct, cur["solved"], points=True),
        tile("Escalated to private cases", cur["escalated"], prev["escalated"], number, cur["asked"]),
    ]
    weeks = defaultdict(list)
    for f in ctx.facts:
        day = f.asked_day
        weeks[day - timedelta(days=day.weekday())].append(f)
    today = local_date(ctx.now)
    rows, bars = [], []
    week = ctx.period.start - timedelta(days=ctx.period.start.weekday())
    while week <= ctx.period.end:
        items = weeks.get(week, [])
        final = d.week_is_final(week, today)
        solved = sum(1 for f in items if d.solved_within(f.solve_s))
        rate = d.share(solved, len(items)) if final else None
        rows.append([week.isoformat(), len(items), solved if final else "not final yet",
                     pct(rate) if final else "not final yet"])
        bars.append((f"w/c {week.strftime('%d %b')}", rate or 0, pct(rate) if final else "not final"))
        week += timedelta(days=7)
    return {"tiles": tiles, "chart": chart(bars), "chart_label": "Solved within 7 days, by the week asked",
            "columns": ["Week asked (Monday)", "Asked", "Solved within 7 days", "Solved rate"], "rows": rows,
            "notes": [f"Solved by Customer Care: {cur['by_staff']}; by the community: {cur['by_community']}."]}


def satisfaction(ctx) -> dict:
    cur = d.satisfaction_summary([(r.satisfaction, r.satisfaction_score) for r in ctx.sat])
    prev = d.satisfaction_summary([(r.satisfaction, r.satisfaction_score) for r in ctx.prev_sat])
    tiles = [
        tile("“Did this solve your problem?”: Yes", cur["yes_share"], prev["yes_share"], pct, cur["answers"], points=True),
        tile("Satisfaction score (1–5), mean", cur["mean_score"], prev["mean_score"], number, cur["scores"]),
    ]
    rows = [[str(n), cur["distribution"][n], pct(d.share(cur["distribution"][n], cur["scores"]))] for n in range(1, 6)]
    bars = [(f"score {n}", cur["distribution"][n], f"{cur['distribution'][n]}") for n in range(1, 6)]
    return {"tiles": tiles, "chart": chart(bars), "chart_label": "Scores given after a Yes",
            "columns": ["Score", "Answers", "Share"], "rows": rows,
            "notes": [f"Yes: {cur['yes']} · No: {cur['no']} (n = {cur['answers']})."]}


def moderation(ctx) -> dict:
    period, prev = ctx.period, ctx.period.previous()
    flags, p_flags = q.flags_handled(period), q.flags_handled(prev)
    cur = d.moderation_summary(flags, *q.log_reasons(period))
    old = d.moderation_summary(p_flags, *q.log_reasons(prev))
    tiles = [
        tile("Flags handled", cur["handled"], old["handled"], number),
        tile("Time to handle a flag, median", cur["median"], old["median"], duration, cur["handled"]),
        tile("Log entries with a reason", cur["reason_share"], old["reason_share"], pct, cur["log_entries"], points=True),
    ]
    by_day = defaultdict(list)
    tz = timezone()  # once, not per flag
    for c, r in flags:
        by_day[r.astimezone(tz).date()].append(d.seconds(r, c))
    rows = [[day.isoformat(), len(by_day.get(day, [])), duration(d.median(by_day.get(day, [])))] for day in period.dates()]
    bars = [(r[0], r[1], str(r[1])) for r in rows]
    return {"tiles": tiles, "chart": chart(bars), "chart_label": "Flags handled by day",
            "columns": ["Day", "Flags handled", "Time to handle, median"], "rows": rows}


def incidents(ctx) -> dict:
    rows_in, reports, updates = q.incidents(ctx.period)
    rows, per_day = [], defaultdict(int)
    firsts, cadences = [], []
    tz = timezone()  # once, not per report
    for r in rows_in:
        fig = d.incident_figures(reports[r.id], updates[r.id])
        for at in reports[r.id]:
            per_day[at.astimezone(tz).date()] += 1
        if fig["first_update"] is not None:
            firsts.append(fig["first_update"])
        if fig["cadence"] is not None:
            cadences.append(fig["cadence"])
        rows.append([r.id, r.title, r.state, ctx.fmt_time(r.created_at), fig["reports"], duration(fig["first_update"]),
                     fig["updates"], duration(fig["cadence"])])
    tiles = [
        tile("Incidents opened", len(rows_in), None, number),
        tile("First report to first staff update, median", d.median(firsts), None, duration, len(firsts)),
        tile("Update cadence, median", d.median(cadences), None, duration, len(cadences)),
    ]
    bars = [(day.isoformat(), per_day.get(day, 0), str(per_day.get(day, 0))) for day in ctx.period.dates()]
    return {"tiles": tiles, "chart": chart(bars), "chart_label": "Affected reports by day (incidents opened in the period)",
            "columns": ["Incident", "Title", "State", "Opened", "Affected reports", "First report to first update",
                        "Updates", "Update cadence"], "rows": rows, "all_boards": True}


def search(ctx) -> dict:
    period, prev = ctx.period, ctx.period.previous()
    rolled = q.search_rolled_through()
    total, clicks, zero = q.search_totals(period, rolled)
    p_total, p_clicks, p_zero = q.search_totals(prev, rolled)
    opened, p_opened = q.suggestions_opened(period), q.suggestions_opened(prev)
    yes, n = q.found_answers(period)
    p_yes, p_n = q.found_answers(prev)
    found, p_found = d.share(yes, n), d.share(p_yes, p_n)
    estimate, p_estimate = d.deflection_estimate(opened, found), d.deflection_estimate(p_opened, p_found)
    tiles = [
        tile("Searches", total, p_total, number),
        tile("Click-through", d.share(clicks, total), d.share(p_clicks, p_total), pct, total, points=True),
        tile("Searches with no results", d.share(zero, total), d.share(p_zero, p_total), pct, total, points=True),
        tile("Similar topics opened while asking", opened, p_opened, number),
        tile("“Did you find what you needed?”: Yes", found, p_found, pct, n, points=True),
        tile("Questions deflected (estimate)", estimate, p_estimate,
             lambda v: "–" if v is None else f"≈ {v:.0f}"),
    ]
    top, none = q.search_queries(period, rolled)
    rows = [[query, n, pct(d.share(c, n))] for query, n, c in top]
    bars = [(query, n, str(n)) for query, n, _ in top]
    return {"tiles": tiles, "chart": chart(bars), "chart_label": "Top searches",
            "columns": ["Search", "Times", "Click-through"], "rows": rows, "all_boards": True,
            "extra_table": {"caption": "Searches with no results", "columns": ["Search", "Times"],
                            "rows": [[query, n] for query, n in none]},
            "notes": ["The deflection figure is an estimate: similar topics opened while asking × the share of "
                      "visitors who said they found what they needed."]}


def talk(ctx) -> dict:
    cfg = current_app.config
    terms = q.top_terms(ctx.period)
    prev = dict(q.top_terms(ctx.period.previous(), limit=len(terms), only=[t for t, _ in terms]))
    per_day = q.term_days(ctx.period, [t for t, _ in terms[:5]])
    rows = [[t, n, prev.get(t, 0)] for t, n in terms]
    bars = [(t, n, str(n)) for t, n in terms]
    spikes = q.spikes(ctx.period.board, ctx.now, z_min=ctx.z_min, count_min=int(cfg.get("INSIGHTS_SPIKE_MIN_COUNT", 5)))
    day_rows = [[day.isoformat(), *[per_day.get((day, t), 0) for t, _ in terms[:5]]] for day in ctx.period.dates()]
    return {"tiles": [tile("Spikes now", len(spikes), None, number)], "chart": chart(bars),
            "chart_label": "Top terms and phrases in new questions",
            "columns": ["Term", "Questions", "Previous period"], "rows": rows, "spikes": spikes,
            "extra_table": {"caption": "Top five terms by day", "columns": ["Day", *[t for t, _ in terms[:5]]],
                            "rows": day_rows} if terms else None}


def sentiment(ctx) -> dict:
    def shares(rows):
        counts = defaultdict(int)
        for _, label, n in rows:
            counts[label] += int(n)
        return counts

    current = q.daily(ctx.period, "sentiment")
    cur, prev = shares(current), shares(q.daily(ctx.period.previous(), "sentiment"))
    total, p_total = sum(cur.values()), sum(prev.values())
    tiles = [tile(f"{label.capitalize()} posts", d.share(cur[label], total), d.share(prev[label], p_total), pct, total,
                  points=True) for label in d.SENTIMENTS]
    by_day = defaultdict(lambda: defaultdict(int))
    for day, label, n in current:
        by_day[day][label] += int(n)
    rows, bars = [], []
    for day in ctx.period.dates():
        c = by_day.get(day, {})
        n = sum(c.values())
        rows.append([day.isoformat(), n, *[c.get(label, 0) for label in d.SENTIMENTS],
                     pct(d.share(c.get("negative", 0), n))])
        bars.append((day.isoformat(), d.share(c.get("negative", 0), n) or 0, pct(d.share(c.get("negative", 0), n))))
    return {"tiles": tiles, "chart": chart(bars), "chart_label": "Share of negative member posts by day",
            "columns": ["Day", "Posts", "Negative", "Neutral", "Positive", "Negative share"], "rows": rows,
            "negative_topics": None,  # live: filled in by build()
            "notes": ["Scored locally by VADER (a lexicon and rules scorer); see the agreement figure in the README."]}


def team(ctx) -> dict:
    answers = defaultdict(int)
    for key, n in q.daily(ctx.period, "answers", group_by_day=False):
        answers[int(key)] += int(n)
    waits, solutions, sat = defaultdict(list), defaultdict(int), defaultdict(list)
    for f in ctx.facts:
        if f.first_staff_id is not None:
            waits[f.first_staff_id].append(f.staff_response_s)
        if f.solver_id is not None and f.solved_by == "staff":
            solutions[f.solver_id] += 1
    for r in ctx.sat:
        if r.first_staff_id is not None:
            sat[r.first_staff_id].append(r.satisfaction)
    agents = []
    for uid in set(answers) | set(waits) | set(solutions):
        s = sat.get(uid, [])
        yes = sum(1 for a in s if a == "yes")
        agents.append((uid, answers.get(uid, 0), duration(d.median(waits.get(uid, []))), solutions.get(uid, 0),
                       f"{pct(d.share(yes, len(s)))} (n = {len(s)})"))
    return {"tiles": [], "chart_label": "Answers per agent", "agents": agents,
            "columns": ["Agent", "Answers", "Median first response", "Solutions", "Satisfaction (Yes)"]}


def _team_rows(block: dict) -> None:
    """The agents' names are live (a renamed agent shows at once): rows and chart from them."""
    agents = block["agents"]
    names = q.agent_names({a[0] for a in agents})
    rows = [[names.get(uid, f"user {uid}"), *figures]
            for uid, *figures in sorted(agents, key=lambda a: (-a[1], names.get(a[0], "")))]
    block["rows"] = rows
    block["chart"] = chart([(r[0], r[1], str(r[1])) for r in rows])


BUILDERS = {"speed": speed, "resolution": resolution, "satisfaction": satisfaction, "moderation": moderation,
            "incidents": incidents, "search": search, "talk": talk, "sentiment": sentiment, "team": team}


class Context:
    """What several blocks share, loaded once, on first use (a block read from the cache
    loads nothing)."""

    def __init__(self, period: Period, now: datetime, *, z_min: float, blocks: tuple[str, ...], fmt_time):
        self.period, self.now, self.z_min, self.fmt_time = period, now, z_min, fmt_time
        self.boards = q.boards()
        self.backlog = q.backlog(period.board, now, self.boards) if "speed" in blocks else None

    @cached_property
    def facts(self) -> list:
        return q.facts(self.period)

    @cached_property
    def prev_facts(self) -> list:
        return q.facts(self.period.previous())

    @cached_property
    def sat(self) -> list:
        return q.satisfaction_rows(self.period)

    @cached_property
    def prev_sat(self) -> list:
        return q.satisfaction_rows(self.period.previous())


def _extra(ctx: Context) -> dict[str, str]:
    """What a cached block reads besides its period, board and tables."""
    count_min = int(current_app.config.get("INSIGHTS_SPIKE_MIN_COUNT", 5))
    return {"resolution": local_date(ctx.now).isoformat(),  # weeks become final with the days
            "talk": f"{d.utc_hour(ctx.now).isoformat()}:{ctx.z_min!r}:{count_min}"}  # spikes: this hour


def build(period: Period, now: datetime, *, blocks: tuple[str, ...], z_min: float, fmt_time) -> tuple[Context, dict]:
    ctx = Context(period, now, z_min=z_min, blocks=blocks, fmt_time=fmt_time)
    keyed = cache.keys(blocks, period, _extra(ctx))
    cached = cache.get_many(keyed)
    fresh = {}
    out = {}
    for name in blocks:
        block = cached.get(name)
        if block is None:
            block = BUILDERS[name](ctx)
            block["key"], block["title"] = name, TITLES[name]
            if name in keyed:
                fresh[keyed[name]] = block
        block = dict(block)  # the live parts below never go into the cache
        if name == "speed":
            block["backlog"] = ctx.backlog
        elif name == "sentiment":
            block["negative_topics"] = q.most_negative_open(period.board)
        elif name == "team":
            _team_rows(block)
        out[name] = block
    cache.set_many(fresh)
    return ctx, out
