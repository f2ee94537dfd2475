from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditKind(models.TextChoices):
    LOGIN = "login", _("Login")
    LOGIN_FAILED = "login_failed", _("Login failed")
    LOGOUT = "logout", _("Logout")
    LOCKED_OUT = "locked_out", _("Locked out")
    ACCESS_DENIED = "access_denied", _("Access denied")
    # A scoped lookup missed an object that exists outside the user's scope; the user got the usual 404.
    OUT_OF_SCOPE = "out_of_scope", _("Object outside the user's scope")
    EXPORT = "export", _("Export")
    DOWNLOAD = "download", _("Download")
    SEALED_VIEW = "sealed_view", _("Sealed material viewed")
    SOFT_DELETE = "soft_delete", _("Deleted (kept in the history)")
    RESTORE = "restore", _("Restored")
