from core.audit import reset_request_ip, set_request_ip


class AuditContextMiddleware:
    """Makes the client address available to audit entries written by services."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        ip = forwarded.split(",")[0].strip() if forwarded else request.META.get("REMOTE_ADDR")
        token = set_request_ip(ip or None)
        try:
            return self.get_response(request)
        finally:
            reset_request_ip(token)
