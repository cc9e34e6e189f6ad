"""Background jobs in the platform operators' admin: what ran, what is waiting, what failed for good (and can
be relaunched), and the workers alive."""

import json

from django.contrib import admin, messages
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_tasks_db.models import DBTaskResult, get_date_max

from . import conf
from .models import Job, ScheduledRun, WorkerHeartbeat
from .services import JobNotRetryable, JobState, attempt_of, filter_by_state, job_state, retry_job

if admin.site.is_registered(DBTaskResult):
    admin.site.unregister(DBTaskResult)  # replaced by the French, retry-aware admin below


class StateFilter(admin.SimpleListFilter):
    title = _("état")
    parameter_name = "etat"

    def lookups(self, request, model_admin):
        return JobState.choices

    def queryset(self, request, queryset):
        if self.value() in JobState.values:
            return filter_by_state(queryset, self.value())
        return queryset


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["task_label", "state_badge", "attempt", "enqueued_at_display", "finished_at_display",
                    "run_after_display", "queue_name"]
    list_filter = [StateFilter, "queue_name"]
    search_fields = ["task_path", "id"]
    ordering = ["-enqueued_at"]
    actions = ["relaunch"]
    list_select_related = ["guichet_retry"]
    fields = ["task_label", "state_badge", "attempt", "arguments", "enqueued_at_display", "run_after_display",
              "started_at_display", "finished_at_display", "workers", "queue_name", "priority", "error",
              "formatted_traceback", "retry_link"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_relaunch_permission(self, request):
        return request.user.is_active and request.user.is_staff and (
            request.user.has_perm("background.change_job")
            or request.user.has_perm("django_tasks_database.change_dbtaskresult")
        )

    @admin.display(description=_("travail"), ordering="task_path")
    def task_label(self, job):
        return job.task_path

    @admin.display(description=_("état"))
    def state_badge(self, job):
        state = job_state(job)
        return state.label

    @admin.display(description=_("essai"))
    def attempt(self, job):
        return attempt_of(job)

    @admin.display(description=_("arguments"))
    def arguments(self, job):
        return format_html("<pre>{}</pre>", json.dumps(job.args_kwargs, ensure_ascii=False, indent=2))

    @admin.display(description=_("mis en file le"), ordering="enqueued_at")
    def enqueued_at_display(self, job):
        return job.enqueued_at

    @admin.display(description=_("commencé le"), ordering="started_at")
    def started_at_display(self, job):
        return job.started_at

    @admin.display(description=_("terminé le"), ordering="finished_at")
    def finished_at_display(self, job):
        return job.finished_at

    @admin.display(description=_("pas avant"), ordering="run_after")
    def run_after_display(self, job):
        return None if job.run_after == get_date_max() else job.run_after

    @admin.display(description=_("travailleurs"))
    def workers(self, job):
        return ", ".join(job.worker_ids or [])

    @admin.display(description=_("erreur"))
    def error(self, job):
        return job.exception_class_path

    @admin.display(description=_("trace"))
    def formatted_traceback(self, job):
        return format_html("<pre>{}</pre>", job.traceback) if job.traceback else ""

    @admin.display(description=_("relancé"))
    def retry_link(self, job):
        if job_state(job) != JobState.RETRIED:
            return ""
        retry = job.guichet_retry
        text = _("le %(date)s par %(who)s") % {
            "date": timezone.localtime(retry.retried_at).strftime("%d/%m/%Y %H:%M"),
            "who": retry.retried_by or _("le système"),
        }
        if retry.retry_id is None:
            return text
        url = reverse("admin:background_job_change", args=[retry.retry_id])
        return format_html('{} — <a href="{}">{}</a>', text, url, _("voir le nouveau travail"))

    @admin.action(description=_("Relancer (mêmes arguments, compteur d'essais remis à 1)"), permissions=["relaunch"])
    def relaunch(self, request, queryset):
        relaunched, refused = 0, []
        for job in queryset:
            try:
                retry_job(job.pk, user=request.user)
            except JobNotRetryable as error:
                refused.append(f"{job.task_path} : {error}")
            else:
                relaunched += 1
        if relaunched:
            self.message_user(request, ngettext(
                "%(count)d travail relancé.", "%(count)d travaux relancés.", relaunched
            ) % {"count": relaunched}, messages.SUCCESS)
        for reason in refused:
            self.message_user(request, _("Non relancé — %(reason)s") % {"reason": reason}, messages.WARNING)


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["worker_id", "hostname", "pid", "started_at", "last_seen", "alive"]
    ordering = ["-last_seen"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("vivant"), boolean=True)
    def alive(self, heartbeat):
        return heartbeat.last_seen >= timezone.now() - conf.stale_after()


@admin.register(ScheduledRun)
class ScheduledRunAdmin(admin.ModelAdmin):
    list_display = ["name", "slot", "claimed_at", "worker_id", "result_id"]
    list_filter = ["name"]
    ordering = ["-slot"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
