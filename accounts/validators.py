"""Password validators: Django's, with every message in Chinese."""

from django.contrib.auth import password_validation
from django.utils.translation import gettext as _


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's minimum length check with a Chinese error message.

    Django 5.2 reworded this message and its zh-hans catalogue has only the old wording, so users saw English.
    """

    def get_error_message(self) -> str:
        return _("密码太短，至少需要 %(min_length)d 个字符。") % {"min_length": self.min_length}
