"""The JSON API (django-ninja): /api/v1/…, schema at /api/openapi.json, page at /api/docs.

Same permissions as the pages: session or bearer-token authentication, every query through
core.scoping, every write through the apps' services. One error shape:
``{"code": "...", "message": "中文说明", "fields": {"field": ["…"]}}``.
"""

import hashlib
import json
import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from ninja.security import HttpBearer, django_auth

from core.models import ApiToken


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <token>``; tokens are created on the user's profile page."""

    def authenticate(self, request, token: str):
        # Guessing tokens counts against the address like guessing passwords (core/login_throttle.py).
        from axes.handlers.proxy import AxesProxyHandler
        from django.contrib.auth.signals import user_login_failed

        from core.login_throttle import address_throttled

        AxesProxyHandler.update_request(request)
        if address_throttled(request):
            return None
        digest = hashlib.sha256(token.encode()).hexdigest()
        api_token = (
            ApiToken.objects.select_related("user", "user__organisation")
            .filter(key_hash=digest, revoked_at__isnull=True, user__is_active=True)
            .first()
        )
        if api_token is None:
            user_login_failed.send(sender=__name__, credentials={"username": f"api-token:{token[:8]}"},
                                   request=request)
            return None
        ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=timezone.now())
        request.user = api_token.user
        return api_token.user


# A date-time with a UTC offset: real offsets lie within ±14:00; PostgreSQL refuses ±16:00 and more (hole 8).
_OFFSET = re.compile(r"^\d{4}-\d{2}-\d{2}[T ][\d:.]+([+-])(\d{2}):?(\d{2})$")


def _refuse_nul(data, source: str, path: tuple = ()) -> None:
    """Refused at the door (hole 8): NUL characters (PostgreSQL cannot store them in text) and date-times
    with impossible UTC offsets (PostgreSQL answers "time zone displacement out of range")."""
    if isinstance(data, str):
        if "\x00" in data:
            raise NinjaValidationError([{"type": "nul_character", "loc": (source, *path)}])
        offset = _OFFSET.match(data)
        if offset and int(offset.group(2)) * 60 + int(offset.group(3)) > 14 * 60:
            raise NinjaValidationError([{"type": "timezone_offset", "loc": (source, *path)}])
    elif isinstance(data, dict):
        for key, value in data.items():
            _refuse_nul(key, source, path)
            _refuse_nul(value, source, (*path, key))
    elif isinstance(data, list):
        for n, value in enumerate(data):
            _refuse_nul(value, source, (*path, n))


class GuituParser(Parser):
    """ninja's JSON and query/form parser, refusing NUL characters anywhere in the input."""

    def parse_body(self, request):
        data = json.loads(request.body)
        _refuse_nul(data, "body")
        return data

    def parse_querydict(self, data, list_fields, request):
        result = super().parse_querydict(data, list_fields, request)
        _refuse_nul(result, "query")
        return result


api = NinjaAPI(
    parser=GuituParser(),
    title="归途 Guitu API",
    version="1",
    description="生活无着的流浪乞讨人员救助管理信息系统接口。所有接口按用户所属机构的数据范围过滤。",
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
    auth=[TokenAuth(), django_auth],
)


def _error(request, status: int, code: str, message: str, fields=None):
    return api.create_response(
        request, {"code": code, "message": message, "fields": fields or {}}, status=status
    )


@api.exception_handler(ValidationError)
def on_validation_error(request, exc: ValidationError):
    fields = exc.message_dict if hasattr(exc, "error_dict") else {}
    message = "；".join(exc.messages) if exc.messages else "输入有误。"
    return _error(request, 400, "invalid", message, fields)


# pydantic's error types in Chinese; the English message is never shown (issue 8, holes 7 and 8).
_SCHEMA_MESSAGES = {
    "missing": "必填。",
    "string_too_long": "不能超过 {max_length} 个字符。",
    "string_too_short": "至少 {min_length} 个字符。",
    "string_type": "应为文本。",
    "string_pattern_mismatch": "格式不正确。",
    "int_parsing": "应为整数。",
    "int_type": "应为整数。",
    "int_from_float": "应为整数。",
    "float_parsing": "应为数字。",
    "decimal_parsing": "应为数字。",
    "decimal_max_digits": "数字位数过多。",
    "decimal_max_places": "小数位数过多。",
    "bool_parsing": "应为 true 或 false。",
    "bool_type": "应为 true 或 false。",
    "greater_than_equal": "不能小于 {ge}。",
    "greater_than": "应大于 {gt}。",
    "less_than_equal": "不能大于 {le}。",
    "less_than": "应小于 {lt}。",
    "uuid_parsing": "应为 UUID。",
    "uuid_type": "应为 UUID。",
    "date_parsing": "日期格式应为 YYYY-MM-DD。",
    "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD。",
    "date_from_datetime_inexact": "日期格式应为 YYYY-MM-DD。",
    "date_type": "日期格式应为 YYYY-MM-DD。",
    "datetime_parsing": "时间格式应为 ISO 8601，如 2025-01-31T08:00:00+08:00。",
    "datetime_from_date_parsing": "时间格式应为 ISO 8601，如 2025-01-31T08:00:00+08:00。",
    "datetime_type": "时间格式应为 ISO 8601，如 2025-01-31T08:00:00+08:00。",
    "timezone_offset": "时区偏移不正确（应在 -14:00 至 +14:00 之间，北京时间为 +08:00）。",
    "list_type": "应为列表。",
    "too_long": "最多 {max_length} 项。",
    "dict_type": "应为对象。",
    "model_type": "应为对象。",
    "model_attributes_type": "应为对象。",
    "json_invalid": "不是有效的 JSON。",
    "literal_error": "取值不在允许范围内。",
    "enum": "取值不在允许范围内。",
    "value_error": "取值不正确。",
    "nul_character": "不能包含空字符（NUL）。",
}


def schema_error_message(err: dict) -> str:
    """The Chinese message for one pydantic error (shared with the fuzz test's checks)."""
    template = _SCHEMA_MESSAGES.get(err.get("type", ""), "格式不正确。")
    ctx = dict(err.get("ctx") or {})
    try:
        return template.format(**ctx)
    except (KeyError, IndexError, ValueError):
        return "格式不正确。"


@api.exception_handler(NinjaValidationError)
def on_schema_error(request, exc: NinjaValidationError):
    fields: dict[str, list[str]] = {}
    for err in exc.errors:
        loc = ".".join(str(p) for p in err.get("loc", [])[1:]) or "body"
        fields.setdefault(loc, []).append(schema_error_message(err))
    return _error(request, 422, "invalid", "请求数据格式不正确：" + "；".join(fields), fields)


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return _error(request, 404, "not_found", "未找到该记录，或您无权查看。")


@api.exception_handler(PermissionDenied)
def on_forbidden(request, exc):
    wait = getattr(exc, "wait", None)  # a throttle (e.g. people.selectors.SearchThrottled): 429 + Retry-After
    if wait:
        response = _error(request, 429, "throttled", str(exc))
        response["Retry-After"] = str(wait)
        return response
    return _error(request, 403, "forbidden", str(exc) or "您没有执行该操作的权限。")


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request, exc):
    return _error(request, 401, "unauthenticated", "请先登录或提供有效的 API 令牌。")


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    return _error(request, exc.status_code, "error", str(exc))


def _register_routers() -> None:
    from aftercare.api import router as aftercare_router
    from announcements.api import router as announcements_router
    from campaign.api import router as campaign_router
    from core.api import router as core_router
    from dailycare.api import router as dailycare_router
    from deadlines.api import router as deadlines_router
    from figures.api import router as figures_router
    from incidents.api import router as incidents_router
    from intake.api import router as intake_router
    from leaving.api import router as leaving_router
    from matching.api import router as matching_router
    from network.api import router as network_router
    from outreach.api import router as outreach_router
    from outsidecare.api import router as outsidecare_router
    from oversight.api import router as oversight_router
    from people.api import router as people_router
    from regional.api import router as regional_router
    from settlement.api import router as settlement_router
    from staff.api import router as staff_router
    from stay.api import router as stay_router
    from tracing.api import router as tracing_router

    api.add_router("/v1/core", core_router, tags=["基础"])
    api.add_router("/v1/people", people_router, tags=["人员档案"])
    api.add_router("/v1/intake", intake_router, tags=["接待服务"])
    api.add_router("/v1/stay", stay_router, tags=["站内照料"])
    api.add_router("/v1/leaving", leaving_router, tags=["离站服务"])
    api.add_router("/v1/incidents", incidents_router, tags=["异常情况"])
    api.add_router("/v1/staff", staff_router, tags=["工作人员与培训"])
    api.add_router("/v1/tracing", tracing_router, tags=["身份查询与寻亲"])
    api.add_router("/v1/announcements", announcements_router, tags=["寻亲公告"])
    api.add_router("/v1/matching", matching_router, tags=["走失报案与比对"])
    api.add_router("/v1/aftercare", aftercare_router, tags=["回归后跟踪"])
    api.add_router("/v1/outreach", outreach_router, tags=["街面巡查与发现报告"])
    api.add_router("/v1/network", network_router, tags=["四级救助网络"])
    api.add_router("/v1/deadlines", deadlines_router, tags=["时限督办"])
    api.add_router("/v1/oversight", oversight_router, tags=["监督管理"])
    api.add_router("/v1/settlement", settlement_router, tags=["落户安置"])
    api.add_router("/v1/outsidecare", outsidecare_router, tags=["站外托养与送医"])
    api.add_router("/v1/regional", regional_router, tags=["区域性中心"])
    api.add_router("/v1/campaign", campaign_router, tags=["专项行动与情况汇总表"])
    api.add_router("/v1/figures", figures_router, tags=["统计与季度报表"])
    api.add_router("/v1/dailycare", dailycare_router, tags=["日常照料与特殊群体"])


_register_routers()


def _cap_unbounded_parameters(default_length: int = 200, int_bound: int = 2**31 - 1) -> None:
    """A safety net under every query, path and form parameter (issue 8, holes 7 and 8): a string
    without a declared ``max_length`` gets ``default_length``, an integer without bounds gets
    ±``int_bound``, so no endpoint — today's or tomorrow's — passes a megabyte of text or a number
    the database cannot hold. Declared limits (the model's, usually) always win."""
    import annotated_types

    for _prefix, router in api._routers:
        for view in router.path_operations.values():
            for operation in view.operations:
                for model in operation.models:
                    if getattr(model, "__ninja_param_source__", None) not in ("query", "path", "form"):
                        continue
                    changed = False
                    for field in model.model_fields.values():
                        kinds = {type(m) for m in field.metadata}
                        base = field.annotation
                        args = [a for a in getattr(base, "__args__", ()) if a is not type(None)]
                        if len(args) == 1:
                            base = args[0]
                        if base is str and annotated_types.MaxLen not in kinds:
                            field.metadata.append(annotated_types.MaxLen(default_length))
                            changed = True
                        elif base is int and not kinds & {annotated_types.Le, annotated_types.Lt}:
                            field.metadata.append(annotated_types.Le(int_bound))
                            if not kinds & {annotated_types.Ge, annotated_types.Gt}:
                                field.metadata.append(annotated_types.Ge(-int_bound))
                            changed = True
                    if changed:
                        model.model_rebuild(force=True)


_cap_unbounded_parameters()
