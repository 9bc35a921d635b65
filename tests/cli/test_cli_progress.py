"""The plain-text progress bar: one redrawn line on a terminal, one line per update elsewhere."""

from __future__ import annotations

import io

from wealthtech_cli.progress import ProgressBar


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_bar_in_a_log_prints_one_line_per_update() -> None:
    stream = io.StringIO()
    bar = ProgressBar(stream, width=10)
    bar.update(0, 4, "users.email_address")
    bar.update(2, 4, "users.email_address")
    bar.update(4, 4, "users.telephone_number")
    bar.finish()
    assert stream.getvalue().splitlines() == [
        "[..........]   0% 0/4 users.email_address",
        "[#####.....]  50% 2/4 users.email_address",
        "[##########] 100% 4/4 users.telephone_number",
    ]


def test_bar_on_a_terminal_redraws_one_line_and_ends_it() -> None:
    stream = _Terminal()
    bar = ProgressBar(stream, width=4)
    bar.update(1, 4)
    bar.update(4, 4)
    bar.finish()
    assert stream.getvalue() == "\r\x1b[K[#...]  25% 1/4\r\x1b[K[####] 100% 4/4\n"


def test_nothing_to_do_is_complete_and_overshoot_is_capped() -> None:
    bar = ProgressBar(io.StringIO(), width=4)
    assert bar.render(0, 0) == "[####] 100% 0/0"
    assert bar.render(9, 4).startswith("[####] 100%")
