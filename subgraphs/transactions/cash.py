"""An account's cash, computed exactly from its transactions (DESIGN §3).

* cash balance = settled inflows - settled outflows
* available cash = cash balance - pending outflows

Inflows are DEPOSIT, SELL, DIVIDEND and INTEREST; outflows are WITHDRAWAL, BUY and CHARGE. Every
transaction's charges are an outflow too, whatever its type (a deposit's fee leaves the account).
Cancelled and rejected transactions never count. Pending inflows do not count until they settle:
money that may not arrive cannot be spent, while money promised away already is spoken for.

The amounts are sealed at rest, so callers open them first and pass plain :class:`CashMovement`
values; this module is pure arithmetic on ``Decimal`` (no float anywhere).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from subgraphs.kit import Money, minor_units

from .domain import INFLOW_TYPES, OUTFLOW_TYPES, TransactionStatus, TransactionType

__all__ = ["CashMovement", "CashPosition", "cash_position"]

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class CashMovement:
    """What one transaction does to the cash: its type, status and (opened) amounts."""

    type: TransactionType
    status: TransactionStatus
    consideration: Decimal
    charges: Decimal


@dataclass(frozen=True, slots=True)
class CashPosition:
    """The three sums an account's cash figures come from, in the account's currency."""

    currency: str
    settled_inflows: Decimal = ZERO
    settled_outflows: Decimal = ZERO
    pending_outflows: Decimal = ZERO

    def _money(self, amount: Decimal) -> Money:
        # Shown with the currency's decimals ("0.00 GBP", "1500 JPY"); exact, never rounded:
        # every amount already has at most that many decimals.
        places = minor_units(self.currency)
        if places is not None:
            amount = amount.quantize(Decimal(1).scaleb(-places))
        return Money(amount, self.currency)

    @property
    def cash_balance(self) -> Money:
        """Settled inflows minus settled outflows."""
        return self._money(self.settled_inflows - self.settled_outflows)

    @property
    def available_cash(self) -> Money:
        """The cash balance minus pending outflows: what a withdrawal or a buy may use."""
        return self._money(self.settled_inflows - self.settled_outflows - self.pending_outflows)


def cash_position(currency: str, movements: Iterable[CashMovement]) -> CashPosition:
    """Sum ``movements`` into a :class:`CashPosition`."""
    settled_in = settled_out = pending_out = ZERO
    for movement in movements:
        if movement.status is TransactionStatus.SETTLED:
            if movement.type in INFLOW_TYPES:
                settled_in += movement.consideration
            elif movement.type in OUTFLOW_TYPES:
                settled_out += movement.consideration
            settled_out += movement.charges
        elif movement.status is TransactionStatus.PENDING:
            if movement.type in OUTFLOW_TYPES:
                pending_out += movement.consideration
            pending_out += movement.charges
    return CashPosition(currency, settled_in, settled_out, pending_out)
