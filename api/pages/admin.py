"""The admin console's navigation and its page dependency.

`ADMIN_NAV` is the console's own menu, shown on every admin page by the `admin_nav`
macro (`templates/admin/_nav.html`). A feature with an admin page adds one
`NavItem` here; its key is the page's `admin_active` context value.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from api.pages.session import NavItem, PageForbidden, PageUser
from api.pages.templating import templates
from models.users import Role, User

ADMIN_NAV: list[NavItem] = [
    NavItem("overview", "Schools and classes", "/admin"),
    NavItem("users", "Users and enrolments", "/admin/users"),
    NavItem("roster", "Roster imports", "/admin/roster"),
    NavItem("audit", "Audit log", "/admin/audit"),
    NavItem("lti", "Platform registrations", "/admin/lti"),
]
templates.env.globals["admin_nav_items"] = ADMIN_NAV


def admin_page(user: PageUser) -> User:
    """The signed-in admin, else the 403 page (the console is for admins only)."""
    if user.role != Role.admin:
        raise PageForbidden(user, Role.admin.value)
    return user


AdminPage = Annotated[User, Depends(admin_page)]
