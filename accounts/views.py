"""The customer's account pages beside allauth's: profile, language, additional contacts."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django.views.i18n import set_language as django_set_language

from accounts.emails import send_contact_confirmation
from accounts.forms import ContactForm, ProfileForm
from accounts.models import Contact
from helpdesk.ratelimit import limit_posts


@require_POST
def set_language(request):
    """The language switcher: Django's set_language, remembered on the account when logged in."""
    response = django_set_language(request)
    language = request.POST.get("language")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        request.user.language = language
        request.user.save(update_fields=["language"])
    return response


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, _("Your profile was saved."))
            response = redirect("account_profile")
            # The switcher's cookie would otherwise win over an emptied preference for anonymous pages.
            if form.cleaned_data["language"]:
                response.set_cookie(settings.LANGUAGE_COOKIE_NAME, form.cleaned_data["language"])
            return response
        messages.error(request, _("Your profile was not saved. Please correct the fields marked below."))
    return render(request, "account/profile.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
@limit_posts("contact_add")
def contacts(request):
    form = ContactForm(request.POST or None, user=request.user)
    if request.method == "POST":
        if form.is_valid():
            contact = form.save()
            send_contact_confirmation(contact)
            messages.success(
                request,
                _("We sent a confirmation link to %(email)s. It receives nothing else until it is confirmed.")
                % {"email": contact.email},
            )
            return redirect("account_contacts")
        messages.error(request, _("The contact was not added. Please correct the fields marked below."))
    return render(request, "account/contacts.html", {"form": form, "contacts": request.user.contacts.all()})


@login_required
@require_POST
def contact_remove(request, pk):
    contact = get_object_or_404(request.user.contacts, pk=pk)
    contact.delete()
    messages.success(request, _("%(email)s was removed from your contacts.") % {"email": contact.email})
    return redirect("account_contacts")


@login_required
@require_POST
@limit_posts("contact_add")
def contact_resend(request, pk):
    contact = get_object_or_404(request.user.contacts, pk=pk, verified_at__isnull=True)
    send_contact_confirmation(contact)
    messages.success(request, _("We sent the confirmation link to %(email)s again.") % {"email": contact.email})
    return redirect("account_contacts")


@require_http_methods(["GET", "POST"])
def contact_confirm(request, token):
    """The link in the confirmation e-mail. Confirming takes a POST, so a mail scanner that follows
    links cannot confirm an address on its owner's behalf. No login: the contact is another person."""
    contact = Contact.objects.from_token(token)
    if contact is None:
        return render(request, "account/contact_confirm.html", {"invalid": True}, status=404)
    if request.method == "POST":
        contact.confirm()
        return render(request, "account/contact_confirm.html", {"contact": contact, "done": True})
    return render(request, "account/contact_confirm.html", {"contact": contact, "done": contact.verified})
