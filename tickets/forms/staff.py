"""Forms of the staff side: the queue's bulk actions and the ticket workspace.

Each form declares exactly what an agent may send and validates it against what the agent
may touch; the views call one model method with the cleaned values.
"""

from dataclasses import dataclass

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.forms.renderers import BaseRenderer
from django.template import engines
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from departments.models import Department, Service
from tickets import choices
from tickets.attachments import AttachmentsField
from tickets.models import Priority, Problem, Status, Ticket

MAX_BULK = 200


def _active_users():
    return get_user_model().objects.filter(is_active=True)


def _menu(field, rows):
    """Label a model choice field's menu from (pk, name) rows, without a query of its own; what
    is posted is still looked up in the field's queryset as usual."""
    empty = [("", field.empty_label)] if getattr(field, "empty_label", None) is not None else []
    field.choices = empty + [(pk, name) for pk, name in rows]


@dataclass(frozen=True)
class Button:
    label: str
    value: str  # posted as `action`
    css: str = "btn-outline-secondary"


class JinjaFormRenderer(BaseRenderer):
    """Django's Jinja2 form and widget templates, through the project's Jinja2 engine (settings.TEMPLATES)."""

    field_template_name = "staff/_field.html"

    def get_template(self, template_name):
        return engines["jinja2"].get_template(template_name)


class WorkspaceForm(forms.Form):
    """A form of the ticket workspace, drawn by templates/staff/_side_form.html (or _composer.html)
    with Bootstrap's classes: its fields (`shown_fields`, or one by one), each through the field
    template staff/_field.html (`{{ field.as_field_group }}`, a Jinja2 template), then its `buttons`."""

    buttons = ()
    # Five forms on the page staff open most: drawn by Jinja2, several times faster (bench/README.md).
    default_renderer = JinjaFormRenderer()
    # Bootstrap's small controls, for the side column.
    control_size = "-sm"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if widget.is_hidden:
                continue
            kind = "form-select" if isinstance(widget, forms.Select) else "form-control"
            own = widget.attrs.get("class", "")
            size = f" {kind}{self.control_size}" if self.control_size else ""
            widget.attrs["class"] = f"{kind}{size} {own}".strip()

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields and not self.fields[name].widget.is_hidden:
                self.fields[name].widget.attrs["class"] += " is-invalid"

    @property
    def shown_fields(self):
        """Every visible field but the `action` the buttons post."""
        return [field for field in self.visible_fields() if field.name != "action"]


# The queue


class BulkActionForm(forms.Form):
    """Several tickets at once. Only the selected tickets the agent sees are touched; each change
    goes through the ticket's own method (and records its event). The queue page draws the
    toolbar itself (see tickets.views.staff._queue_menus); this form checks what comes back."""

    ACTIONS = [
        ("assign_me", _("Assign to me")),
        ("unassign", _("Unassign")),
        ("assign", _("Assign")),
        ("status", _("Set status")),
        ("close", _("Close")),
        ("transfer", _("Transfer")),
        ("link_problem", _("Link to problem")),
    ]

    action = forms.ChoiceField(choices=ACTIONS)
    tickets = forms.Field(widget=forms.MultipleHiddenInput, required=False)
    agent = forms.ModelChoiceField(label=_("Agent"), queryset=None, required=False)
    status = forms.ChoiceField(label=_("Status"), choices=Status.choices, required=False)
    department = forms.ModelChoiceField(label=_("Department"), queryset=Department.objects.active(), required=False)
    problem = forms.CharField(label=_("Problem"), max_length=20, required=False)

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["agent"].queryset = _active_users()

    def clean_tickets(self):
        references = [value for value in self.data.getlist("tickets") if value.isdigit()][:MAX_BULK]
        tickets = list(
            Ticket.objects.staff_visible_to(self.user)
            .filter(reference__in=references)
            .select_related("department", "assignee")
        )
        if not tickets:
            raise ValidationError(_("Select at least one ticket."), code="none_selected")
        return tickets

    def clean_problem(self):
        """A problem by its reference (P-12 or 12), among the open ones of the user's departments."""
        value = self.cleaned_data["problem"].strip().upper().removeprefix("P-").strip()
        if not value:
            return None
        problem = None
        if value.isdigit():
            problem = Problem.objects.staff_visible_to(self.user).active().filter(pk=int(value)).first()
        if problem is None:
            raise ValidationError(
                _("There is no open problem P-%(number)s in your departments."),
                code="unknown_problem",
                params={"number": value},
            )
        return problem

    def clean(self):
        data = super().clean()
        needed = {"assign": "agent", "status": "status", "transfer": "department", "link_problem": "problem"}.get(
            data.get("action")
        )
        if needed and not data.get(needed):
            self.add_error(needed, _("Choose one for this action."))
        return data

    def apply(self):
        """Run the action on every selected ticket; returns a message saying what changed."""
        data = self.cleaned_data
        action, by = data["action"], self.user
        changed = skipped = other_problem = 0
        for ticket in data["tickets"]:
            if action in ("assign_me", "assign", "unassign"):
                agent = {"assign_me": by, "assign": data["agent"], "unassign": None}[action]
                if ticket.assignee_id == (agent.pk if agent else None):
                    continue
                try:
                    ticket.assign(agent, by=by)
                except ValidationError:  # the agent does not work in this ticket's department
                    skipped += 1
                    continue
            elif action in ("status", "close"):
                status = Status.CLOSED if action == "close" else data["status"]
                if ticket.status == status:
                    continue
                ticket.set_status(status, by=by)
            elif action == "transfer":
                if ticket.department_id == data["department"].pk:
                    continue
                ticket.transfer(data["department"], by=by)
            elif action == "link_problem":
                if ticket.problem_id == data["problem"].pk:
                    continue
                try:
                    data["problem"].link(ticket, by=by)
                except ValidationError:  # another department's ticket, or already in another problem
                    other_problem += 1
                    continue
            changed += 1
        message = ngettext("%(count)s ticket changed.", "%(count)s tickets changed.", changed) % {"count": changed}
        if skipped:
            message += " " + ngettext(
                "%(count)s ticket left as it was: the agent does not work in its department.",
                "%(count)s tickets left as they were: the agent does not work in their departments.",
                skipped,
            ) % {"count": skipped}
        if other_problem:
            message += " " + ngettext(
                "%(count)s ticket left as it was: it is in another department or already in another problem.",
                "%(count)s tickets left as they were: they are in another department or already in another problem.",
                other_problem,
            ) % {"count": other_problem}
        return message


# The workspace


class StaffReplyForm(WorkspaceForm):
    """The composer: a public reply, a reply that closes, or an internal note; or inserting a
    canned reply into the text (a round trip without JavaScript).

    `seen` is the newest message the agent had on screen: if another arrived since, the view
    does not send but shows it first (see `collides`).
    """

    REPLY, REPLY_CLOSE, NOTE, INSERT = "reply", "reply_close", "note", "insert"
    SENDING = (REPLY, REPLY_CLOSE, NOTE)
    control_size = ""  # the main column: full-size controls

    body = forms.CharField(
        label=_("Message"),
        widget=forms.Textarea(attrs={"rows": 7, "class": "hd-composer"}),
        max_length=20000,
        required=False,
    )
    attachments = AttachmentsField()
    canned = forms.TypedChoiceField(
        label=_("Canned reply"),
        coerce=int,
        required=False,
        empty_value=None,
        widget=forms.Select(attrs={"class": "form-select-sm"}),
    )
    seen = forms.CharField(widget=forms.HiddenInput, required=False)
    action = forms.ChoiceField(choices=[(value, value) for value in (REPLY, REPLY_CLOSE, NOTE, INSERT)])

    def __init__(self, ticket, user, *args, canned_replies=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.ticket, self.user = ticket, user
        self.arrived = []
        # A list, so the page can also hand the texts to the script without a second query.
        if canned_replies is None:
            canned_replies = choices.canned_replies(ticket.department_id)
        self.canned_replies = {reply.pk: reply for reply in canned_replies}
        self.fields["canned"].choices = [("", _("Choose a canned reply…"))] + [
            (reply.pk, reply.title) for reply in canned_replies
        ]
        self.insert_label = _("Insert")
        self.buttons = [
            Button(_("Send reply"), self.REPLY, "btn-primary"),
            Button(_("Send and close"), self.REPLY_CLOSE, "btn-outline-primary"),
            Button(_("Add internal note"), self.NOTE, "btn-warning"),
        ]

    def clean_seen(self):
        """The newest message on the agent's screen. Anything but a number counts as none: every
        message is then news, and the agent is asked again (a hidden field has no place to
        show an error)."""
        seen = self.cleaned_data["seen"].strip()
        return int(seen) if seen.isascii() and seen.isdigit() else None

    def clean(self):
        data = super().clean()
        action = data.get("action")
        if action == self.INSERT and not data.get("canned"):
            self.add_error("canned", _("Choose the canned reply to insert."))
        if action in self.SENDING and not (data.get("body") or "").strip():
            self.add_error("body", _("Write the message first."))
        return data

    def collides(self):
        """Whether messages arrived after `seen` (kept in `arrived` to be shown).

        The form is then shown again with `seen` moved to the newest message, so sending it
        once more (the "send anyway" button) goes through.
        """
        seen = self.cleaned_data.get("seen") or 0
        self.arrived = list(self.ticket.messages.filter(pk__gt=seen).order_by("pk"))
        if self.arrived:
            self.data = self.data.copy()
            self.data["seen"] = str(self.arrived[-1].pk)
        return bool(self.arrived)

    def canned_texts(self):
        """Each canned reply's text, filled for this ticket: what the script inserts."""
        return {pk: reply.render(self.ticket, self.user) for pk, reply in self.canned_replies.items()}

    def text_with_canned(self):
        """The message with the chosen canned reply (placeholders filled) added at the end."""
        body = (self.cleaned_data.get("body") or "").rstrip()
        addition = self.canned_replies[self.cleaned_data["canned"]].render(self.ticket, self.user)
        return f"{body}\n\n{addition}" if body else addition


class TicketDetailsForm(WorkspaceForm):
    status = forms.ChoiceField(label=_("Status"), choices=Status.choices, widget=forms.Select)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, widget=forms.Select)
    service = forms.ModelChoiceField(
        label=_("Service"), queryset=None, required=False, empty_label="—", widget=forms.Select
    )

    def __init__(self, ticket, *args, **kwargs):
        initial = {"status": ticket.status, "priority": ticket.priority, "service": ticket.service_id}
        super().__init__(*args, initial=initial, auto_id="details_%s", **kwargs)
        # An inactive service stays selectable on the tickets that already have it.
        self.fields["service"].queryset = Service.objects.filter(Q(active=True) | Q(pk=ticket.service_id))
        _menu(
            self.fields["service"],
            [(pk, name) for pk, name, active in choices.services() if active or pk == ticket.service_id],
        )
        self.buttons = [Button(_("Save"), "save", "btn-outline-primary")]


class AssignForm(WorkspaceForm):
    assignee = forms.ModelChoiceField(
        label=_("Assignee"), queryset=None, required=False, empty_label=_("Nobody"), widget=forms.Select
    )
    action = forms.ChoiceField(choices=[("me", "me"), ("set", "set")])

    def __init__(self, ticket, user, *args, **kwargs):
        super().__init__(*args, initial={"assignee": ticket.assignee_id}, auto_id="assign_%s", **kwargs)
        self.ticket, self.user = ticket, user
        field = self.fields["assignee"]
        field.queryset = _active_users()
        agents = choices.agents([ticket.department_id])
        if ticket.assignee_id and ticket.assignee_id not in {pk for pk, _name in agents}:
            agents.append((ticket.assignee_id, ticket.assignee.get_full_name()))  # a superuser, say
        _menu(field, agents)
        self.buttons = [Button(_("Assign"), "set", "btn-outline-primary")]
        if ticket.assignee_id != user.pk:
            self.buttons.append(Button(_("Assign to me"), "me"))

    def clean(self):
        data = super().clean()
        if data.get("action") == "me":
            data["assignee"] = self.user
        agent = data.get("assignee")
        if agent is not None and not self.ticket.can_be_assigned_to(agent):
            self.add_error(
                "assignee",
                ValidationError(
                    _("%(agent)s does not work in %(department)s."),
                    code="not_assignable",
                    params={"agent": agent.get_full_name(), "department": self.ticket.department},
                ),
            )
        return data


class TransferForm(WorkspaceForm):
    department = forms.ModelChoiceField(
        label=_("Transfer to"), queryset=None, empty_label=_("Department…"), widget=forms.Select
    )

    def __init__(self, ticket, *args, **kwargs):
        super().__init__(*args, auto_id="transfer_%s", **kwargs)
        self.fields["department"].queryset = Department.objects.active().exclude(pk=ticket.department_id)
        _menu(
            self.fields["department"],
            [(pk, name) for pk, name, active in choices.departments() if active and pk != ticket.department_id],
        )
        self.buttons = [Button(_("Transfer"), "transfer", "btn-outline-primary")]


class MergeForm(WorkspaceForm):
    target = forms.CharField(
        label=_("Merge into ticket"),
        max_length=20,
        help_text=_("This ticket's messages move there and this one closes; its reference then leads there."),
        widget=forms.TextInput(attrs={"placeholder": "#123456", "inputmode": "numeric", "autocomplete": "off"}),
    )

    def __init__(self, ticket, user, *args, **kwargs):
        super().__init__(*args, auto_id="merge_%s", **kwargs)
        self.ticket, self.user = ticket, user
        self.buttons = [Button(_("Merge"), "merge", "btn-outline-danger")]

    def clean_target(self):
        value = self.cleaned_data["target"].strip().removeprefix("#").strip()
        target = None
        if value.isdigit():
            target = Ticket.objects.staff_visible_to(self.user).filter(reference=int(value)).first()
        if target is None:
            raise ValidationError(
                _("There is no ticket #%(reference)s in your departments."),
                code="merge_unknown",
                params={"reference": value},
            )
        return target
