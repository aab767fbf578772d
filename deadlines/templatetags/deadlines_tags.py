from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def deadline_admin_warnings(context) -> dict:
    """Missing calendar years, shown to administrators on the home dashboard."""
    user = context.get("user")
    if user is None or not (user.is_superuser or user.has_role("admin")):
        return {"missing_years": []}
    from deadlines.selectors import admin_warnings

    return admin_warnings()
