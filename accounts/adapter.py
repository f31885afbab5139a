from allauth.account.adapter import DefaultAccountAdapter
from django.utils import translation


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        # A new account keeps the language the visitor was browsing in.
        user.language = user.language or translation.get_language() or ""
        return super().save_user(request, user, form, commit=commit)
