"""The router's security layer: authentication, limits, CSRF and CORS in front of the endpoints.

``install_security(app, settings)`` wires it; ``middleware`` holds the request pipeline and
``responses`` the refusals' shapes.
"""

from router.security.install import install_security, limits_from
from router.security.middleware import CALLER_STATE_KEY, SecurityMiddleware

__all__ = ["CALLER_STATE_KEY", "SecurityMiddleware", "install_security", "limits_from"]
