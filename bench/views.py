"""Bench-only endpoints (see bench/settings.py): a bare JSON endpoint and a reference
completion written by hand in SQL (PostgreSQL), doing the same reads and writes as
`tasks.services.completion.task_complete`, for the ratio that says what the product's layers cost."""

import datetime
import json
import zoneinfo

from django.db import connection, transaction
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from billing.plan_rules import plan_code_sql
from milestones.jobs import send_milestone_email


def bare(request):
    return JsonResponse({"ok": True})


def _one(cursor, sql, params):
    cursor.execute(sql, params)
    return cursor.fetchone()


@csrf_exempt
def reference_complete(request, task_id):
    key = request.headers.get("Authorization", "").removeprefix("Token ").strip()
    quality = json.loads(request.body or b"{}").get("quality", 3)
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cur:
        row = _one(cur, "SELECT t.user_id, p.platform, p.timezone, p.milestone_emails FROM authtoken_token t "
                        "JOIN accounts_creatorprofile p ON p.user_id = t.user_id WHERE t.key = %s", [key])
        if row is None:
            return JsonResponse({"error": {"code": "not_authenticated"}}, status=401)
        user_id, _, tz, emails = row
        task = _one(cur, "SELECT id, platform, day, phase, week FROM tasks_roadmaptask WHERE id = %s AND is_active", [task_id])
        enrollment = task and _one(cur, "SELECT id, current_phase, current_week FROM accounts_enrollment "
                                        "WHERE user_id = %s AND platform = %s", [user_id, task[1]])
        if enrollment is None:
            return JsonResponse({"error": {"code": "not_found"}}, status=404)
        _one(cur, "SELECT user_id FROM accounts_creatorstats WHERE user_id = %s FOR UPDATE", [user_id])
        existing = _one(cur, "SELECT id FROM tasks_taskcompletion WHERE user_id = %s AND task_id = %s", [user_id, task_id])
        if existing:
            return JsonResponse({"completion": {"id": existing[0]}}, status=200)
        plan_code, plan_params = plan_code_sql(alias="e", now=now)  # the product's rule, not a copy
        plan = _one(cur, f"SELECT p.roadmap_days FROM billing_entitlement e JOIN billing_plan p ON p.code = {plan_code} "
                         "WHERE e.user_id = %s", [*plan_params, user_id])
        if task[2] > (plan[0] if plan else 30):
            return JsonResponse({"error": {"code": "plan_required"}}, status=409)
        local = timezone.localdate(now, timezone=zoneinfo.ZoneInfo(tz))
        points = 10 + 2 * quality
        completion = _one(cur, "INSERT INTO tasks_taskcompletion (user_id, task_id, quality, notes, points, completed_at, local_date, "
                               "completed_phase) VALUES (%s, %s, %s, '', %s, %s, %s, false) ON CONFLICT DO NOTHING RETURNING id",
                          [user_id, task_id, quality, points, now, local])
        streak = ("CASE WHEN last_active_on >= %(d)s THEN current_streak "
                  "WHEN last_active_on = %(y)s THEN current_streak + 1 ELSE 1 END")
        stats = _one(cur, f"UPDATE accounts_creatorstats SET points = points + %(p)s, tasks_completed = tasks_completed + 1, "
                          f"current_streak = {streak}, longest_streak = GREATEST(longest_streak, {streak}), "
                          f"last_active_on = GREATEST(last_active_on, %(d)s) WHERE user_id = %(u)s "
                          f"RETURNING points, tasks_completed, current_streak, longest_streak",
                     {"p": points, "d": local, "y": local - datetime.timedelta(days=1), "u": user_id})
        cur.execute("SELECT t.phase, t.week, COUNT(*), COUNT(c.id) FROM tasks_roadmaptask t LEFT JOIN tasks_taskcompletion c "
                    "ON c.task_id = t.id AND c.user_id = %s WHERE t.platform = %s AND t.is_active GROUP BY 1, 2 ORDER BY 1, 2",
                    [user_id, task[1]])
        weeks = cur.fetchall()
        open_weeks = [(p, w) for p, w, total, done in weeks if done < total]
        done_phases = sorted({p for p, *_ in weeks} - {p for p, _ in open_weeks})
        if open_weeks and open_weeks[0] > (enrollment[1], enrollment[2]):
            cur.execute("UPDATE accounts_enrollment SET current_phase = %s, current_week = %s WHERE id = %s",
                        [*open_weeks[0], enrollment[0]])
        cur.execute("INSERT INTO milestones_milestoneachievement (user_id, milestone_id, achieved_at) "
                    "SELECT %(u)s, m.id, %(now)s FROM milestones_milestone m WHERE m.is_active AND m.platform IN ('', %(pl)s) AND ("
                    "(m.kind = 'tasks_completed' AND m.threshold <= %(tc)s) OR (m.kind = 'streak_days' AND m.threshold <= %(st)s) "
                    "OR (m.kind = 'points' AND m.threshold <= %(pt)s) OR (m.kind = 'phase_completed' AND m.threshold = ANY(%(ph)s))) "
                    "ON CONFLICT DO NOTHING RETURNING id",
                    {"u": user_id, "now": now, "pl": task[1], "tc": stats[1], "st": stats[2], "pt": stats[0], "ph": done_phases})
        achievement_ids = [r[0] for r in cur.fetchall()]
        if achievement_ids:
            cur.execute("INSERT INTO milestones_celebration (achievement_id, user_id, created_at) "
                        "SELECT unnest(%s::bigint[]), %s, %s ON CONFLICT DO NOTHING", [achievement_ids, user_id, now])
            if emails:  # the product's outbox: the job is a row of this transaction
                send_milestone_email.enqueue(user_id, achievement_ids)
        cur.execute("SELECT c.id, m.title, m.message FROM milestones_celebration c JOIN milestones_milestoneachievement a "
                    "ON a.id = c.achievement_id JOIN milestones_milestone m ON m.id = a.milestone_id "
                    "WHERE c.user_id = %s AND c.seen_at IS NULL ORDER BY c.created_at, c.id", [user_id])
        celebrations = [{"id": i, "title": t, "message": m} for i, t, m in cur.fetchall()]
    return JsonResponse(
        {
            "completion": {"id": completion[0], "task_id": task_id, "quality": quality, "points": points, "local_date": str(local)},
            "stats": dict(zip(["points", "tasks_completed", "current_streak", "longest_streak"], stats)),
            "new_achievements": achievement_ids,
            "pending_celebrations": celebrations,
        },
        status=201,
    )
