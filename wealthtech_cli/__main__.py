"""Entry point of the `wealthtech` console script."""

import sys


def main(argv: list[str] | None = None) -> int:
    """Run the command line; until the subgraphs exist, `up` only reports the installation."""
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["up"]:
        print("wealthtech is installed; the services are not built yet: nothing to start.")
        return 0
    print("usage: wealthtech up", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
