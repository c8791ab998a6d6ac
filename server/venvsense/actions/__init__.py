"""Actions: the only part of venvsense that runs processes — create a project's venv, install what is
missing, fix versions, recreate a broken venv. Each action is first a ``Plan`` (data a person can read),
then ``execute`` runs it with progress reports and cancellation.
"""

from __future__ import annotations

from venvsense.actions.interpreters import choose_backend, choose_interpreter
from venvsense.actions.planning import Options, plan_create, plan_fix, plan_install
from venvsense.actions.run import Outcome, ProgressEvent, execute
from venvsense.actions.steps import (
    ActionError,
    ActionRefused,
    Backend,
    IndexSetting,
    Interpreter,
    LockBusy,
    Plan,
    Step,
)

__all__ = [
    "ActionError",
    "ActionRefused",
    "Backend",
    "IndexSetting",
    "Interpreter",
    "LockBusy",
    "Options",
    "Outcome",
    "Plan",
    "ProgressEvent",
    "Step",
    "choose_backend",
    "choose_interpreter",
    "execute",
    "plan_create",
    "plan_fix",
    "plan_install",
]
