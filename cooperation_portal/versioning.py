"""Optimistic concurrency for every versioned model: lock the row, compare versions, save with the next one."""

from typing import Any, Protocol, TypeVar

from django.db import models
from django.utils.translation import gettext as _


class StaleVersionError(Exception):
    """The object changed since the caller read it; the caller's edit would overwrite someone else's."""

    def __init__(self, *, current_version: int) -> None:
        self.current_version = current_version
        super().__init__(
            _(
                "This record was changed by someone else since you opened it (now version %(version)s). "
                "Reload it and apply your change again."
            )
            % {"version": current_version}
        )


class VersionedModel(Protocol):
    pk: Any
    version: int


M = TypeVar("M", bound=models.Model)


def lock_version(obj: M, expected_version: int | None) -> M:
    """Re-read `obj` under a row lock, so concurrent changes queue up; refuse if its version moved on."""
    locked = type(obj)._default_manager.select_for_update().get(pk=obj.pk)
    if expected_version is not None and locked.version != expected_version:  # type: ignore[attr-defined]
        raise StaleVersionError(current_version=locked.version)  # type: ignore[attr-defined]
    return locked


def save_versioned(locked: models.Model, fields: list[str], *, actor: models.Model | None) -> None:
    """Validate and save a row read by `lock_version`; the lock makes the increment race-free."""
    # simple-history takes the user from the web request; a task or a command has none, so name it here.
    locked._history_user = actor  # type: ignore[attr-defined]
    locked.full_clean()
    locked.version += 1  # type: ignore[attr-defined]
    extra = ["updated_at"] if any(f.name == "updated_at" for f in locked._meta.concrete_fields) else []
    locked.save(update_fields=[*fields, "version", *extra])
