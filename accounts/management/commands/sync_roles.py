from django.core.management.base import BaseCommand

from accounts.services import sync_roles


class Command(BaseCommand):
    help = "Create or update the staff groups (受理员, 评审专家, 审定人, 财务人员, 系统管理员) and their permissions."

    def handle(self, *args: object, **options: object) -> None:
        for group, created in sync_roles():
            state = "created" if created else "updated"
            self.stdout.write(f"sync_roles: {group.name} {state} ({group.permissions.count()} permissions)")
