"""What happened to a ticket, sent by its state changes inside their transaction.

The models know nothing of e-mail: tickets.notify receives these (connected in
TicketsConfig.ready) and writes the notifications in the same transaction.
"""

from django.dispatch import Signal

ticket_opened = Signal()  # ticket, message: its first message
reply_added = Signal()  # message
ticket_closed = Signal()  # ticket, event, automatic
ticket_merged = Signal()  # ticket, target, event
ticket_escalated = Signal()  # ticket, event
ticket_overdue = Signal()  # ticket, event
bad_rating = Signal()  # ticket, event: a bad rating, told to the supervisors once
broadcast_started = Signal()  # broadcast: a problem's reply with tickets to post it to
