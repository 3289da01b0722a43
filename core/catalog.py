"""Idempotent loading of catalogue data (roadmaps, milestones, plans) kept in the repo."""

import dataclasses

import yaml


@dataclasses.dataclass
class LoadReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0
    deleted: int = 0

    def __str__(self):
        return ", ".join(f"{name} {value}" for name, value in dataclasses.asdict(self).items())


def read_yaml(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def upsert_by_key(model, key, rows, report):
    """Create or update `model` rows identified by the `key` field; a row whose values are
    already stored is not written (a second load writes nothing). Returns the stored keys.
    Call inside a transaction."""
    existing = {getattr(obj, key): obj for obj in model.objects.filter(**{f"{key}__in": [r[key] for r in rows]})}
    to_create = []
    for row in rows:
        obj = existing.get(row[key])
        if obj is None:
            to_create.append(model(**row))
            continue
        changed = [field for field, value in row.items() if getattr(obj, field) != value]
        if changed:
            for field in changed:
                setattr(obj, field, row[field])
            obj.save(update_fields=changed)
            report.updated += 1
        else:
            report.unchanged += 1
    model.objects.bulk_create(to_create)
    report.created += len(to_create)
    return {row[key] for row in rows}


def retire_missing(queryset, kept_keys, key, in_use, report):
    """Rows of `queryset` whose key is no longer in the content: delete those nobody used,
    deactivate (is_active=False) those `in_use` (a Q) marks as used, so history is never lost.
    Call inside a transaction."""
    missing = queryset.exclude(**{f"{key}__in": kept_keys})
    used_ids = set(missing.filter(in_use).values_list("pk", flat=True))
    report.retired += queryset.model.objects.filter(pk__in=used_ids, is_active=True).update(is_active=False)
    _, deleted = missing.exclude(pk__in=used_ids).delete()
    report.deleted += deleted.get(queryset.model._meta.label, 0)
