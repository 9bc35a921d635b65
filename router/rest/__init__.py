"""REST shims (DESIGN §4): ``/api/{user,investment,transaction,compliance}``.

Each route is one fixed GraphQL operation executed through the router's own gateway; there is no
other way in. :func:`create_rest_router` returns the routes plus ``/openapi.json`` and ``/docs``,
and a lifespan that opens the idempotency store (see ``idempotency``).

Modules: ``resources`` (the operations and shape mapping), ``schemas`` (request/response models),
``values`` (exact decimals and dates, JSON without floats), ``naming`` (snake_case <-> camelCase),
``problems`` (RFC 9457 documents and the code -> status table), ``idempotency`` (the store),
``endpoints`` (handlers), ``openapi`` (the document and its HTML page), ``settings``.
"""

from router.rest.router import create_rest_router
from router.rest.settings import RestSettings

__all__ = ["RestSettings", "create_rest_router"]
