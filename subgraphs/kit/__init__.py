"""Plumbing shared by the four subgraphs; no domain code lives here.

A subgraph is laid out as ``settings.py``, ``models.py``, ``repository.py``, ``service.py``,
``schema.py``, ``app.py``, ``__main__.py`` and ``migrations/``; docs/subgraph-pattern.md shows how
these modules use the kit:

* settings: :class:`SubgraphSettings` (per-subgraph env prefix, data folder, database URL, port)
* storage: :class:`Database`, :class:`RecordMixin`, :class:`UTCDateTime`, :func:`make_metadata`,
  Alembic helpers in :mod:`.migrations`
* identity: :func:`new_id` (prefixed, time-ordered)
* errors: :class:`SubgraphError` and its subclasses, rendered by :mod:`.graphql_errors`
* input: :class:`Issues`, :class:`Money`, :func:`check_money`, ISO 4217 :func:`minor_units`
* GraphQL: :func:`create_schema`, :func:`export_sdl`, :class:`MoneyType`, :class:`MoneyInput`,
  :class:`Connection`, :class:`PageInfo`, :func:`connection_from_page`, :func:`paginate`
* requests: :class:`SubgraphContext`, :class:`Loaders`, :func:`create_app`
* encryption: :func:`seal_field`, :func:`open_field`, :func:`load_encryption_services`
* other subgraphs: :class:`OwnerClient`
* security: :mod:`.authentication` (internal token on every request), :mod:`.authorization`
  (roles, :class:`Forbidden`, :func:`open_sensitive`), :mod:`.audit` (DATA_ACCESS outbox, relay)
* tests: :mod:`.testing` (imported explicitly, not re-exported)
"""

from .app import SubgraphState, create_app
from .audit import (
    AccessedEntity,
    AuditRelay,
    AuditSink,
    DataAccessEvent,
    OutboxSink,
    audit_outbox_table,
)
from .authorization import (
    ADMIN,
    ADVISOR,
    CLIENT,
    COMPLIANCE,
    PII_READ,
    SERVICE,
    STAFF,
    Forbidden,
    Unauthenticated,
    client_user_filter,
    is_client_only,
    is_self_access,
    may_see_row_of,
    open_sensitive,
    open_sensitive_optional,
    principal_of,
    require_role,
    require_scope,
    require_sensitive_read,
    require_staff_or_own_client,
)
from .context import RequestTransaction, SubgraphContext
from .currencies import minor_units
from .database import (
    Database,
    RecordMixin,
    SerialisedAsyncSession,
    UTCDateTime,
    make_metadata,
    utcnow,
)
from .dataloaders import Loaders, ordered_by_keys
from .errors import (
    BadUserInput,
    Conflict,
    DependencyUnavailable,
    FieldIssue,
    NotFound,
    RuleViolation,
    StaleVersion,
    SubgraphError,
    require_version,
)
from .ids import is_id, new_id
from .keys import load_encryption_services
from .money import Money, check_money, parse_decimal
from .owners import OwnerClient
from .pagination import Page, check_page_size, decode_cursor, encode_cursor, paginate
from .schema import (
    FEDERATION_VERSION,
    SubgraphSchema,
    create_schema,
    export_sdl,
    sdl_path,
    write_sdl,
)
from .sealing import open_field, open_optional_field, seal_field
from .settings import SubgraphSettings
from .types import Connection, Edge, MoneyInput, MoneyType, PageInfo, connection_from_page
from .validation import Issues

__all__ = [
    "ADMIN",
    "ADVISOR",
    "CLIENT",
    "COMPLIANCE",
    "FEDERATION_VERSION",
    "PII_READ",
    "SERVICE",
    "STAFF",
    "AccessedEntity",
    "AuditRelay",
    "AuditSink",
    "BadUserInput",
    "Conflict",
    "Connection",
    "DataAccessEvent",
    "Database",
    "DependencyUnavailable",
    "Edge",
    "FieldIssue",
    "Forbidden",
    "Issues",
    "Loaders",
    "Money",
    "MoneyInput",
    "MoneyType",
    "NotFound",
    "OutboxSink",
    "OwnerClient",
    "Page",
    "PageInfo",
    "RecordMixin",
    "RequestTransaction",
    "RuleViolation",
    "SerialisedAsyncSession",
    "StaleVersion",
    "SubgraphContext",
    "SubgraphError",
    "SubgraphSchema",
    "SubgraphSettings",
    "SubgraphState",
    "UTCDateTime",
    "Unauthenticated",
    "audit_outbox_table",
    "check_money",
    "check_page_size",
    "client_user_filter",
    "connection_from_page",
    "create_app",
    "create_schema",
    "decode_cursor",
    "encode_cursor",
    "export_sdl",
    "is_client_only",
    "is_id",
    "is_self_access",
    "load_encryption_services",
    "make_metadata",
    "may_see_row_of",
    "minor_units",
    "new_id",
    "open_field",
    "open_optional_field",
    "open_sensitive",
    "open_sensitive_optional",
    "ordered_by_keys",
    "paginate",
    "parse_decimal",
    "principal_of",
    "require_role",
    "require_scope",
    "require_sensitive_read",
    "require_staff_or_own_client",
    "require_version",
    "sdl_path",
    "seal_field",
    "utcnow",
    "write_sdl",
]
