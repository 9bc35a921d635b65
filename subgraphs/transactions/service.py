"""The rules of transactions: validation, the account check, idempotency, cash and status moves.

The service validates the whole input before touching the database, so a refused write names
every bad field and leaves nothing behind. It seals both amounts with the row id it generated,
through the operation's encryption session; it never commits (the request does, and rolls back
on any error).

Creating a transaction, step by step:

1. validate the idempotency key and every field that does not depend on the account;
2. a known key: the same body returns the transaction it created, another body is a CONFLICT;
3. ask investments (the owner) for the account: it must exist and be ACTIVE; the transaction
   takes its user and currency, and the amounts' decimals are checked against that currency;
4. lock the account's cash (see :meth:`TransactionRepository.lock_account`), look the key up
   again (a concurrent retry may have won), and refuse a withdrawal or buy beyond available cash;
5. insert; the unique key constraint settles any race the lock cannot see (same key, two
   accounts).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from crypto import EncryptionSession, Principal
from subgraphs.kit import (
    Conflict,
    Issues,
    NotFound,
    OwnerClient,
    Page,
    RuleViolation,
    Unauthenticated,
    new_id,
    open_field,
    require_version,
    seal_field,
    utcnow,
)

from . import policy, rules
from .cash import CashMovement, CashPosition, cash_position
from .domain import (
    ALLOWED_STATUS_MOVES,
    FUNDED_TYPES,
    TRADE_TYPES,
    TransactionStatus,
    TransactionType,
)
from .idempotency import canonical_request, fingerprint, matches_fingerprint
from .models import TransactionRow
from .repository import IdempotencyKeyTaken, TransactionFilter, TransactionRepository

__all__ = [
    "AccountCash",
    "NewTransaction",
    "TransactionService",
    "TransactionUpdate",
]

log = logging.getLogger(__name__)

ID_PREFIX = "txn"
ENTITY = "Transaction"
ACCOUNT_FIELDS = ("id", "status", "userId", "currency")
# Fields an update may name, with their GraphQL names (for error messages).
UPDATABLE_FIELDS: dict[str, str] = {
    "status": "status",
    "consideration_amount": "considerationAmount",
    "charges_amount": "chargesAmount",
    "isin": "isin",
    "quantity": "quantity",
    "price": "price",
    "trade_date": "tradeDate",
    "settlement_date": "settlementDate",
    "reference": "reference",
}
TRADE_FIELDS = {"isin": "isin", "quantity": "quantity", "price": "price"}


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


@dataclass(frozen=True, slots=True)
class NewTransaction:
    """A transaction to create, as the caller sent it (not yet validated)."""

    account_id: str
    type: TransactionType
    consideration_amount: Decimal
    charges_amount: Decimal | None = None
    currency: str | None = None
    isin: str | None = None
    quantity: Decimal | None = None
    price: Decimal | None = None
    trade_date: dt.date | None = None
    settlement_date: dt.date | None = None
    reference: str | None = None

    def canonical(self) -> str:
        """Return the canonical body for idempotency (GraphQL names, as sent, no defaults)."""
        return canonical_request(
            {
                "accountId": self.account_id,
                "type": self.type,
                "considerationAmount": self.consideration_amount,
                "chargesAmount": self.charges_amount,
                "currency": self.currency,
                "isin": self.isin,
                "quantity": self.quantity,
                "price": self.price,
                "tradeDate": self.trade_date,
                "settlementDate": self.settlement_date,
                "reference": self.reference,
            }
        )


@dataclass(frozen=True, slots=True)
class TransactionUpdate:
    """A partial update: ``changes`` holds only the fields the caller named (snake_case keys)."""

    transaction_id: str
    version: int
    changes: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class AccountCash:
    """An account's counted movements and the currency they are in (``None``: no movements)."""

    currency: str | None
    movements: tuple[CashMovement, ...] = field(default=())

    def position(self, account_currency: str | None) -> CashPosition:
        """Sum the movements; ``account_currency`` names the currency of an empty account."""
        currency = self.currency or account_currency
        if self.currency and account_currency and self.currency != account_currency:
            # Amounts are in the currency they were recorded in; relabelling them would lie.
            log.warning("account currency differs from its transactions' currency")
        if not currency:
            raise RuleViolation(
                "The account's currency is unknown here: query it through the router, "
                "which passes the account's currency to this service.",
                reason="CURRENCY_UNKNOWN",
                field="currency",
            )
        return cash_position(currency, self.movements)


@dataclass(frozen=True, slots=True)
class _Validated:
    """Input that passed the account-independent rules."""

    consideration: Decimal
    charges: Decimal
    currency: str | None
    isin: str | None
    quantity: Decimal | None
    price: Decimal | None
    trade_date: dt.date
    settlement_date: dt.date
    reference: str | None


class TransactionService:
    def __init__(
        self,
        repository: TransactionRepository,
        encryption: EncryptionSession,
        *,
        accounts: OwnerClient | None = None,
        principal: Principal | None = None,
        today: Callable[[], dt.date] = _today,
    ) -> None:
        self.repository = repository
        self.encryption = encryption
        self.accounts = accounts
        self._principal = principal
        self.today = today

    @property
    def principal(self) -> Principal:
        """The caller; every operation on behalf of a caller is checked against the policy."""
        if self._principal is None:
            raise Unauthenticated()
        return self._principal

    # -- reads ------------------------------------------------------------------------------------

    def may_read(self, row: TransactionRow | None) -> bool:
        """Whether ``row`` (by id or as an entity; ``None``: none) may be shown.

        ``False`` for a client and another user's transaction: answer it as a missing one.
        """
        return policy.may_read(self.principal, row.user_id if row is not None else None)

    def authorize_user_transactions(self, user_id: str) -> None:
        """Refuse ``User.transactions`` of ``user_id`` unless the policy allows it."""
        policy.require_read_user_transactions(self.principal, user_id)

    async def visible_accounts(self, account_ids: Sequence[str]) -> list[bool]:
        """Which of these accounts' figures (transactions, cash) the caller may see.

        Staff see every account; a role that reads no transactions is refused (``ROLE``). For a
        client the owner (investments) is asked, with the client's own token: it answers null
        for another user's account as for a missing one, and the user id it returns is checked
        again here. An account the client may not see is shown as one that does not exist (no
        transactions, zero cash), so the answer says nothing about which accounts exist.
        """
        principal = self.principal
        if not policy.is_client_only(principal):
            policy.require_staff(principal, action="read accounts' transactions and cash")
            return [True for _ in account_ids]
        if self.accounts is None:
            raise RuntimeError("the transactions subgraph needs an investments owner client")
        entities = await self.accounts.fetch("InvestmentAccount", account_ids, ("id", "userId"))
        return [
            policy.may_read_account(principal, str(entity["userId"]) if entity else None)
            for entity in entities
        ]

    async def list_page(
        self, filters: TransactionFilter, *, first: int | None, after: str | None
    ) -> Page[TransactionRow]:
        user_id = policy.list_user_filter(self.principal, filters.user_id)
        if user_id != filters.user_id:
            filters = dataclasses.replace(filters, user_id=user_id)
        return await self.repository.page(filters, first=first, after=after)

    def open_amount(self, row: TransactionRow, column: str) -> Decimal:
        """Open one of the row's sealed amounts (the access is recorded)."""
        value = open_field(self.encryption, row, column, entity=ENTITY)
        if not isinstance(value, Decimal):
            raise TypeError("a sealed amount did not open as a Decimal")
        return value

    def movement(self, row: TransactionRow) -> CashMovement:
        return CashMovement(
            type=TransactionType(row.type),
            status=TransactionStatus(row.status),
            consideration=self.open_amount(row, "consideration_amount"),
            charges=self.open_amount(row, "charges_amount"),
        )

    async def account_cash(self, account_ids: Sequence[str]) -> list[AccountCash]:
        """Return the cash movements of several accounts, read in one query."""
        rows_by_account = await self.repository.cash_rows(account_ids)
        result = []
        for account_id in account_ids:
            rows = rows_by_account.get(account_id, [])
            currency = rows[0].currency if rows else None
            result.append(AccountCash(currency, tuple(self.movement(row) for row in rows)))
        return result

    # -- create -----------------------------------------------------------------------------------

    async def create(self, data: NewTransaction, idempotency_key: str) -> TransactionRow:
        policy.require_write(self.principal, action="record transactions")
        issues = Issues()
        key = rules.check_idempotency_key(issues, idempotency_key)
        checked = self._validate_new(issues, data)
        issues.raise_if_any()
        assert key is not None and checked is not None  # for the type checker
        self.encryption.remember_plaintext(checked.consideration, checked.charges)

        canonical = data.canonical()
        replay = await self._replay(key, canonical)
        if replay is not None:
            return replay

        account = await self._require_account(data.account_id)
        currency = str(account["currency"])
        issues = Issues()
        if checked.currency is not None and checked.currency != currency:
            issues.add("currency", "must be the account's currency")
        rules.check_amount_decimals(issues, "considerationAmount", checked.consideration, currency)
        rules.check_amount_decimals(issues, "chargesAmount", checked.charges, currency)
        issues.raise_if_any()

        await self.repository.lock_account(data.account_id)
        replay = await self._replay(key, canonical)  # a concurrent retry may have won
        if replay is not None:
            return replay
        if data.type in FUNDED_TYPES:
            await self._require_funds(
                data.account_id, currency, checked.consideration + checked.charges, except_id=None
            )

        now = utcnow()
        row = TransactionRow(
            id=new_id(ID_PREFIX),
            created_at=now,
            updated_at=now,
            account_id=data.account_id,
            user_id=str(account["userId"]),
            type=data.type.value,
            status=TransactionStatus.PENDING.value,
            currency=currency,
            isin=checked.isin,
            quantity=checked.quantity,
            price=checked.price,
            trade_date=checked.trade_date,
            settlement_date=checked.settlement_date,
            reference=checked.reference,
            idempotency_key=key,
            request_fingerprint=fingerprint(self.encryption, canonical),
        )
        seal_field(self.encryption, row, "consideration_amount", checked.consideration)
        seal_field(self.encryption, row, "charges_amount", checked.charges)
        try:
            await self.repository.insert(row)
        except IdempotencyKeyTaken:
            # Same key, racing on another account's lock: the first insert wins.
            replay = await self._replay(key, canonical)
            if replay is None:  # pragma: no cover - the winner rolled back in between
                raise Conflict(
                    "Another request with this idempotency key is in progress; retry.",
                    reason="IDEMPOTENCY_KEY_REUSED",
                    field="idempotencyKey",
                ) from None
            return replay
        return row

    def _validate_new(self, issues: Issues, data: NewTransaction) -> _Validated | None:
        before = len(issues)
        issues.check(bool(data.account_id.strip()), "accountId", "must not be empty")
        consideration = rules.check_amount(
            issues, "considerationAmount", data.consideration_amount, positive=True, currency=None
        )
        charges_in = Decimal(0) if data.charges_amount is None else data.charges_amount
        charges = rules.check_amount(
            issues, "chargesAmount", charges_in, positive=False, currency=None
        )
        currency = (
            rules.check_currency(issues, data.currency) if data.currency is not None else None
        )
        isin, quantity, price = self._check_trade_fields(
            issues, data.type, {"isin": data.isin, "quantity": data.quantity, "price": data.price}
        )
        trade_date = data.trade_date or self.today()
        settlement_date = data.settlement_date or trade_date
        rules.check_dates(issues, trade_date, settlement_date)
        reference = rules.check_reference(issues, data.reference)
        if len(issues) > before or consideration is None or charges is None:
            return None
        return _Validated(
            consideration=consideration,
            charges=charges,
            currency=currency,
            isin=isin,
            quantity=quantity,
            price=price,
            trade_date=trade_date,
            settlement_date=settlement_date,
            reference=reference,
        )

    @staticmethod
    def _check_trade_fields(
        issues: Issues, kind: TransactionType, values: Mapping[str, Any]
    ) -> tuple[str | None, Decimal | None, Decimal | None]:
        """Trades need isin, quantity and price; other types must not carry them."""
        if kind not in TRADE_TYPES:
            for name, value in values.items():
                if value is not None:
                    issues.add(TRADE_FIELDS[name], "only BUY and SELL transactions carry it")
            return None, None, None
        for name, value in values.items():
            if value is None:
                issues.add(TRADE_FIELDS[name], "is required for BUY and SELL transactions")
        checked = {
            name: TransactionService._check_trade_value(issues, name, value)
            for name, value in values.items()
            if value is not None
        }
        return checked.get("isin"), checked.get("quantity"), checked.get("price")

    @staticmethod
    def _check_trade_value(issues: Issues, name: str, value: Any) -> Any:
        """Check one trade field's value (isin, quantity or price)."""
        if name == "isin":
            return rules.check_isin(issues, value)
        limit = rules.QUANTITY_DECIMALS if name == "quantity" else rules.PRICE_DECIMALS
        return rules.check_positive_decimal(issues, name, value, max_decimals=limit)

    async def _replay(self, key: str, canonical: str) -> TransactionRow | None:
        """Return what an earlier request with ``key`` created, if its body was the same."""
        existing = await self.repository.find_by_idempotency_key(key)
        if existing is None:
            return None
        if not matches_fingerprint(self.encryption, canonical, existing.request_fingerprint):
            raise Conflict(
                "This idempotency key was already used for a different request.",
                reason="IDEMPOTENCY_KEY_REUSED",
                field="idempotencyKey",
            )
        return existing

    async def _require_account(self, account_id: str) -> dict[str, Any]:
        if self.accounts is None:
            raise RuntimeError("the investments owner client is not configured")
        return await self.accounts.require(
            "InvestmentAccount",
            account_id,
            field="accountId",
            fields=ACCOUNT_FIELDS,
            usable=lambda account: account.get("status") == "ACTIVE",
            unusable_message="Transactions can only be made on an ACTIVE account.",
        )

    async def _require_funds(
        self, account_id: str, currency: str, needed: Decimal, *, except_id: str | None
    ) -> None:
        """Refuse an outflow of ``needed`` beyond the account's available cash (call locked)."""
        rows = (await self.repository.cash_rows([account_id]))[account_id]
        movements = [self.movement(row) for row in rows if row.id != except_id]
        available = cash_position(currency, movements).available_cash.amount
        if needed > available:
            raise RuleViolation(
                "The transaction exceeds the account's available cash.",
                reason="INSUFFICIENT_FUNDS",
                field="considerationAmount",
            )

    # -- update -----------------------------------------------------------------------------------

    async def update(self, update: TransactionUpdate) -> TransactionRow:
        policy.require_write(self.principal, action="change transactions")
        unknown = set(update.changes) - set(UPDATABLE_FIELDS)
        if unknown:
            raise ValueError(f"not updatable: {sorted(unknown)}")
        row = await self.repository.get(update.transaction_id)
        if row is None:
            raise NotFound(ENTITY, update.transaction_id)
        require_version("The transaction", row.version, update.version)
        current = TransactionStatus(row.status)
        if current is not TransactionStatus.PENDING:
            raise RuleViolation(
                f"A {current.value} transaction cannot change; only PENDING ones do "
                "(correct a settled one with a new transaction).",
                reason="TRANSACTION_NOT_PENDING",
                field="status" if "status" in update.changes else None,
            )
        values = self._validated_changes(row, update.changes)
        target = values.get("status", current)
        if target is not current and target not in ALLOWED_STATUS_MOVES[current]:
            raise RuleViolation(  # pragma: no cover - every move from PENDING is allowed
                f"A transaction cannot move from {current.value} to {target.value}.",
                reason="INVALID_STATUS_TRANSITION",
                field="status",
            )
        amounts_change = {"consideration_amount", "charges_amount"} & values.keys()
        kind = TransactionType(row.type)
        if (
            amounts_change
            and kind in FUNDED_TYPES
            and target
            in (
                TransactionStatus.PENDING,
                TransactionStatus.SETTLED,
            )
        ):
            consideration = values.get(
                "consideration_amount", self.open_amount(row, "consideration_amount")
            )
            charges = values.get("charges_amount", self.open_amount(row, "charges_amount"))
            await self.repository.lock_account(row.account_id)
            await self._require_funds(
                row.account_id, row.currency, consideration + charges, except_id=row.id
            )
        self._apply(row, values)
        await self.repository.flush()
        return row

    async def cancel(self, transaction_id: str, version: int) -> TransactionRow:
        policy.require_write(self.principal, action="cancel transactions")
        """Cancel a PENDING transaction (its money is no longer spoken for)."""
        return await self.update(
            TransactionUpdate(transaction_id, version, {"status": TransactionStatus.CANCELLED})
        )

    def _validated_changes(self, row: TransactionRow, changes: Mapping[str, Any]) -> dict[str, Any]:
        issues = Issues()
        values: dict[str, Any] = {}
        kind = TransactionType(row.type)
        for name, value in changes.items():
            graphql_name = UPDATABLE_FIELDS[name]
            if value is None and name != "reference":
                issues.add(graphql_name, "may not be null; omit it to leave it unchanged")
                continue
            before = len(issues)
            match name:
                case "status":
                    checked: Any = value
                case "consideration_amount" | "charges_amount":
                    checked = rules.check_amount(
                        issues,
                        graphql_name,
                        value,
                        positive=name == "consideration_amount",
                        currency=row.currency,
                    )
                case "isin" | "quantity" | "price":
                    if kind not in TRADE_TYPES:
                        issues.add(graphql_name, "only BUY and SELL transactions carry it")
                        continue
                    checked = self._check_trade_value(issues, name, value)
                case "trade_date" | "settlement_date":
                    checked = value
                case "reference":
                    checked = rules.check_reference(issues, value)
                case _:  # pragma: no cover - guarded by UPDATABLE_FIELDS
                    raise AssertionError(name)
            if len(issues) == before:
                values[name] = checked
        trade_date = values.get("trade_date", row.trade_date)
        settlement_date = values.get("settlement_date", row.settlement_date)
        if "trade_date" in values or "settlement_date" in values:
            rules.check_dates(issues, trade_date, settlement_date)
        issues.raise_if_any()
        amounts = [values[n] for n in ("consideration_amount", "charges_amount") if n in values]
        self.encryption.remember_plaintext(*amounts)
        return values

    def _apply(self, row: TransactionRow, values: Mapping[str, Any]) -> None:
        for name, value in values.items():
            match name:
                case "status":
                    row.status = value.value
                case "consideration_amount" | "charges_amount":
                    seal_field(self.encryption, row, name, value)
                case _:
                    setattr(row, name, value)
