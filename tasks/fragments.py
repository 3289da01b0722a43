"""The repeated pieces of the tasks pages (task cards, roadmap days, the streak calendar's cells)
built in Python rather than by the template engine.

The roadmap shows about 96 cards and 90 days, the dashboard 91 calendar cells: as template
includes and loops each piece pushed a context and resolved a dozen variables: 70% of the
roadmap's time in the view, by cProfile. Here a card is a join of strings: the parts that are the same for every
creator come rendered once per catalogue version (tasks.selectors.task_html, from the templates
in templates/tasks/task_card/, which escape the task's text); what is the creator's or the
request's own is escaped here. The markup, whitespace included, is what the templates made
(tasks/tests/test_page_markup.py compares whole pages with the stored markup).
"""

import functools

from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.formats import date_format
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.timezone import get_current_timezone
from django.utils.translation import get_language


@functools.lru_cache(maxsize=4096)
def _date_label(date, fmt, language):
    return escape(date_format(date, fmt))


def date_label(date, fmt, *, language=None):
    """`date|date:fmt` of the templates, as HTML, formatted once per process (about 60 us each,
    the month names being translated): the roadmap's 90 day labels and the calendar's 91 cells
    are the same dates for every creator. A date or a naive local datetime, never an aware one:
    two equal instants in different zones would share a label. `language`: get_language(), when
    the caller has it."""
    return _date_label(date, fmt, language or get_language())


class _RequestParts:
    """What every card and day of one request shares, found once per request (each lookup of
    the active language or time zone costs a few microseconds, times 90 days and 96 cards)."""

    def __init__(self, request):
        self.request = request
        self.language = get_language()
        self.timezone = get_current_timezone()

    @functools.cached_property
    def form_fields(self):
        """The request's own part of a card's completion form: the CSRF token and the page to
        come back to without JavaScript. Built for the request's first open card only: asking
        for a CSRF token makes the response set its cookie, which only a page that shows a form
        should do (as `{% csrf_token %}` did)."""
        return format_html(
            '<input type="hidden" name="csrfmiddlewaretoken" value="{}">\n'
            '        <input type="hidden" name="next" value="{}">',
            get_token(self.request),
            self.request.get_full_path(),
        )

    def completed_label(self, completed_at):
        # `|date` showed it in the active time zone (the creator's, set per request); to the
        # minute, which is all the label shows, so a creator's reloads share the labels.
        local = completed_at.astimezone(self.timezone).replace(second=0, microsecond=0, tzinfo=None)
        return date_label(local, "M j, H:i", language=self.language)


def _request_parts(request):
    parts = getattr(request, "_task_fragments", None)
    if parts is None:
        parts = request._task_fragments = _RequestParts(request)
    return parts


_DONE_MARK = '<span class="done-mark" aria-label="Completed">✓ Done</span>'
_SUMMARY = "<summary>What to do, why, and how to know it worked</summary>"


def task_card(task, *, request, open_details=False):
    """A task's card (a tasks.selectors.CreatorTask) as HTML: the one renderer of a card, for the
    roadmap, the dashboard and the completion's htmx answer. An open task carries the completion
    form; `open_details` shows its advice unfolded (the dashboard's task of the day)."""
    html, done, shared = task.html, task.completed, _request_parts(request)
    task_id = task.id
    parts = [
        '<article class="task', " task-done" if done else "", " task-locked" if task.locked else "",
        f'" id="task-{task_id}" aria-labelledby="task-{task_id}-title">\n  <header class="task-head">\n    ',
        html.chips, "\n    ", _DONE_MARK if done else "", "\n  </header>\n  ", html.title, "\n  ",
    ]
    if task.locked:
        parts += ["\n    ", html.locked_note, "\n  "]
    else:
        parts += ["\n    <details", " open" if open_details else "", ">\n      ", _SUMMARY, "\n      ", html.advice,
                  "\n    </details>\n    "]
        if done:
            parts += ['\n      <p class="muted">Completed ', shared.completed_label(task.completed_at), ".</p>\n    "]
        else:
            form = [html.form_start, "\n        ", shared.form_fields, "\n        ", html.form_end]
            parts += ["\n      ", *form, "\n    "]
        parts.append("\n  ")
    parts.append("\n</article>\n")
    return mark_safe("".join(parts))


@functools.cache
def _lock_icon():
    # Static markup (no context), the same for every day and request.
    return render_to_string("_lock_icon.html")


def roadmap_days(days, *, request):
    """The roadmap's days (tasks.selectors.RoadmapDay) as the items of its list of days, each
    with its date, its chips and its tasks' cards."""
    items, language = [], _request_parts(request).language
    for day in days:
        classes = ("day-today", day.is_today), ("day-done", day.completed), ("day-locked", day.locked)
        items += [
            '\n          <li class="day', "".join(f" {name}" for name, on in classes if on), f'" id="day-{day.day}">',
            f'\n            <p class="day-label"><strong>Day {day.day}</strong> <span class="muted">',
            date_label(day.date, "D M j", language=language), "</span>\n              ",
            '<span class="chip chip-today">Today</span>' if day.is_today else "",
            f'<span class="chip chip-locked">{_lock_icon()}Pro</span>' if day.locked else "",
            "</p>\n            ",
            *(task_card(task, request=request) for task in day.tasks),
            "\n          </li>\n        ",
        ]
    return mark_safe("".join(items))


def calendar_weeks(weeks):
    """The streak calendar (tasks.selectors.activity_calendar) as HTML, a string per week: a cell
    per day, shaded by how many tasks were done, the count in its title."""
    language, html = get_language(), []
    for week in weeks:
        cells = []
        for date, count in week:
            shade = 2 if count >= 2 else count
            plural = "" if count == 1 else "s"
            label = date_label(date, "M j", language=language)
            cells.append(f'<span class="heat heat-{shade}" title="{label}: {count} task{plural}"></span>')
        html.append(mark_safe("".join(cells)))
    return html
