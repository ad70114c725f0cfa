# Object ids in routes (core.routers.ApiRouter uses it for every ViewSet without a pattern
# of its own): a malformed id never reaches the database, the URL does not match: a 404.
UUID_REGEX = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
