"""How the OpenAPI schema (drf-spectacular) describes the portal's API token."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class PortalTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.auth.TokenAuthentication"
    name = "tokenAuth"  # the name the schema had with DRF's TokenAuthentication

    def get_security_definition(self, auto_schema: object) -> dict:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "请求头 Authorization: Token <令牌>；令牌由 POST /api/v1/auth/token/ 签发，默认12小时过期。",
        }
