"""Service functions: the classroom service's logic, free of HTTP.

Route handlers, the web pages and the CLI all call these; each module holds one
concern. They take a `Session` (and the `Runtime` where caches or settings matter)
and raise `api.services.errors` exceptions.
"""
