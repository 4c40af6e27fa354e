"""Signals sent inside the transaction of the incident change that causes them.

Later layers (notifications) listen to these and write their own rows in the same transaction, so a
notification exists exactly when the change that caused it committed; incidents never import them.
Receivers must not swallow errors: an exception rolls the change back with everything else.
"""

from __future__ import annotations

from django.dispatch import Signal

# incident, tasks (list[Task]), at: new tasks were added (by invocation, a trigger point, re-routing...).
tasks_added = Signal()
# incident, trigger_key, sequence, due_at, at: a trigger point fell due and its tasks were added.
trigger_fired = Signal()
# task, done (bool), outcome (str), actor_name, at: a task was completed or skipped.
task_finished = Signal()
# target (InformTarget), how, actor_name, at: someone recorded that an inform target was told.
target_told = Signal()
# incident, at: the incident ended (stood down, or closed as not a failure); nothing more is sent.
incident_closed = Signal()
# incident: the incident was reported, or its state or assessment changed (assessed, invoked, restored,
# stood down, closed as not a failure); sent with the change's audit entry. The status page listens.
incident_changed = Signal()
# incident, entry (TimelineEntry), who (list of plan references), at: the board's briefing was published
# and the plan names its board audience (incidents.briefing); notifications e-mail it.
briefing_published = Signal()
# incident, action (ReviewAction), sequence, at: a review action is due (or still overdue) and not done.
review_action_due = Signal()
