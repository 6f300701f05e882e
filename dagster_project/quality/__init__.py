"""Data quality: Great Expectations suites over each load, stored results, Data Docs.

Every import of Great Expectations goes through this package, so this is where one trap is
disarmed. With the Spark engine installed, GX imports `pyspark.sql.connect`, whose
`check_dependencies()` takes a process whose `__main__` has neither `__spec__` nor `__file__`
(`python -c ...`, a pytest-xdist worker) for pyspark's own doctest runner and calls `sys.exit(0)`
when Spark Connect's optional packages are missing: every GX step of the build then "failed" with
`SystemExit: 0`. Giving such a `__main__` a file name changes nothing else for it."""
import sys

_main = sys.modules.get("__main__")
if _main is not None and getattr(_main, "__spec__", None) is None and not hasattr(_main, "__file__"):
    _main.__file__ = "<itam>"
