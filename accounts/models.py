import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core import signing
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _


def timezone_choices():
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones()) if "/" in name]


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, email):
        return self.get(email__iexact=email)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in: a customer, an agent, or both. E-mail is the login.

    Being an agent is not a flag: it is having a department membership (or being a superuser).
    `is_staff` only opens the Django admin.
    """

    email = models.EmailField(_("e-mail address"), unique=True)
    name = models.CharField(_("name"), max_length=150, blank=True)
    company = models.CharField(_("company"), max_length=150, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True, choices=timezone_choices)
    is_staff = models.BooleanField(_("admin access"), default=False, help_text=_("Can log in to the Django admin."))
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["email"]

    def __str__(self):
        return self.name or self.email

    def get_full_name(self):
        return self.name or self.email

    def get_short_name(self):
        return self.first_name or self.email

    @property
    def first_name(self):
        """What a greeting says ("Hello, Carla"); empty when we do not know the name, never the address."""
        return (self.name.split() or [""])[0]

    @cached_property
    def _memberships(self):
        # One query per request answers both questions below (every staff page asks both).
        return list(self.memberships.values_list("department_id", "is_supervisor"))

    @cached_property
    def department_ids(self):
        """Departments whose tickets this user works: memberships as agent or supervisor."""
        return frozenset(department_id for department_id, _supervisor in self._memberships)

    @cached_property
    def supervised_department_ids(self):
        return frozenset(department_id for department_id, supervisor in self._memberships if supervisor)

    @property
    def is_agent(self):
        return self.is_superuser or bool(self.department_ids)

    @property
    def is_supervisor(self):
        return self.is_superuser or bool(self.supervised_department_ids)


CONTACT_TOKEN_SALT = "accounts.contact.confirm"
CONTACT_TOKEN_MAX_AGE = 7 * 24 * 3600


class ContactQuerySet(models.QuerySet):
    def verified(self):
        return self.filter(verified_at__isnull=False)

    def from_token(self, token):
        """The contact a confirmation link was made for, or None (bad, expired, or address since changed)."""
        try:
            data = signing.loads(token, salt=CONTACT_TOKEN_SALT, max_age=CONTACT_TOKEN_MAX_AGE)
        except signing.BadSignature:
            return None
        if not isinstance(data, dict):
            return None
        return self.filter(pk=data.get("id"), email=data.get("email")).select_related("user").first()


class Contact(models.Model):
    """An additional address of a customer: it receives the ticket notifications and may reply by e-mail."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("customer"))
    email = models.EmailField(_("e-mail address"))
    name = models.CharField(_("name"), max_length=150, blank=True)
    created_at = models.DateTimeField(_("added"), default=timezone.now)
    verified_at = models.DateTimeField(_("confirmed"), null=True, blank=True)

    objects = ContactQuerySet.as_manager()

    class Meta:
        verbose_name = _("additional contact")
        verbose_name_plural = _("additional contacts")
        ordering = ["email"]
        constraints = [models.UniqueConstraint(fields=["user", "email"], name="contact_unique_per_user")]

    def __str__(self):
        return f"{self.name} <{self.email}>" if self.name else self.email

    @property
    def verified(self):
        return self.verified_at is not None

    def save(self, *args, **kwargs):
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)

    def make_token(self):
        """A signed token for the confirmation link; it names the address, so it dies if the address changes."""
        return signing.dumps({"id": self.pk, "email": self.email}, salt=CONTACT_TOKEN_SALT)

    def confirm(self):
        if self.verified_at is None:
            self.verified_at = timezone.now()
            self.save(update_fields=["verified_at"])
