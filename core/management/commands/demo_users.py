"""Create (or reset) one demo user per role — documented in the README. Idempotent."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from core.models import Region, User
from core.roles import Role

DEMO_USERS = [
    # username, role, region code (None: first village of 白沙街道), display name
    ("cw_baisha", Role.CASEWORKER, "440703002", "白沙街道 低保经办员"),
    # The second investigator of home visits (who takes part never confirms: separation of duties).
    ("cw_baisha_2", Role.CASEWORKER, "440703002", "白沙街道 入户调查员"),
    ("va_baisha", Role.VILLAGE_ASSISTANT, None, "白沙 村居协理员"),
    ("cw_taicheng", Role.CASEWORKER, "440781001", "台城街道 低保经办员"),
    ("cw_taicheng_2", Role.CASEWORKER, "440781001", "台城街道 入户调查员"),
    ("ca_pengjiang", Role.CIVIL_AFFAIRS_REVIEWER, "440703", "蓬江区民政局 审核员"),
    ("po_pengjiang", Role.POVERTY_OFFICE_REVIEWER, "440703", "蓬江区扶贫办 审核员"),
    ("ca_taishan", Role.CIVIL_AFFAIRS_REVIEWER, "440781", "台山市民政局 审核员"),
    ("ss_pengjiang", Role.SOCIAL_SECURITY_OFFICER, "440703", "蓬江区社保局 专员"),
    ("data_admin", Role.DATA_ADMIN, "440700", "市数据管理员"),
    # A second one: a department's file is approved by another data administrator than its
    # uploader (verification's separation of duties).
    ("data_admin_2", Role.DATA_ADMIN, "440700", "市数据管理员（复核）"),
    ("auditor", Role.AUDITOR, "440700", "第三方抽查审计员"),
    ("supervisor", Role.SUPERVISOR, "440700", "市督查员"),
]


def _first_baisha_village() -> Region:
    village = Region.objects.filter(parent__code="440703002", level=Region.Level.VILLAGE).first()
    if village is None:
        village = Region(
            code="440703002001",
            name="白沙社区",
            kind=Region.Kind.COMMUNITY,
            parent=Region.objects.get(code="440703002"),
        )
        village.save()
    return village


class Command(BaseCommand):
    help = "Create the demo users (password from DEMO_PASSWORD, default xianjie-demo)."

    @transaction.atomic
    def handle(self, *args: object, **options: object) -> None:
        if not settings.DEMO_MODE:
            # Ten accounts, a data administrator among them, with a password printed in the README.
            raise CommandError(
                "demo_users runs only in demo mode (DEMO_MODE=1, as `make run` sets)."
            )
        password = settings.DEMO_PASSWORD
        for username, role, code, display in DEMO_USERS:
            region = Region.objects.get(code=code) if code else _first_baisha_village()
            user, created = User.objects.get_or_create(username=username)
            user.role, user.region, user.last_name, user.is_active = role, region, display, True
            user.set_password(password)
            user.full_clean(exclude=["password"])
            user.save()
            self.stdout.write(
                f"{'created' if created else 'updated'} {username:14} {role.label} · {region.name}"
            )
