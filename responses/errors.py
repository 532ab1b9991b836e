"""The public endpoints' one error shape: {"error": {"code", "message"}}."""

from django.http import JsonResponse


class WidgetError(Exception):
    def __init__(
        self, status: int, code: str, message: str, *, retry_after: int | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after

    def as_response(self) -> JsonResponse:
        response = JsonResponse(
            {"error": {"code": self.code, "message": self.message}}, status=self.status
        )
        if self.retry_after is not None:
            response["Retry-After"] = str(self.retry_after)
        return response


def invalid(code: str, message: str) -> WidgetError:
    return WidgetError(422, code, message)
