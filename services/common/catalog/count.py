"""`python -m services.common.catalog.count`: the catalog's song count on stdout (for scripts/run.sh).

Opening the store migrates an old local-mode directory; a catalog that cannot be opened is one line
on stderr and exit status 1, never a traceback."""

from __future__ import annotations

import sys

from services.common.catalog import CatalogUnavailable, connect
from services.common.settings import CommonSettings


def main() -> int:
    try:
        with connect(CommonSettings()) as store:
            print(store.count())
    except CatalogUnavailable as exc:
        print(f"moodtune: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
