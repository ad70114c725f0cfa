# ViewSets set `lookup_value_regex = UUID_REGEX`: a malformed id never reaches the
# database, the URL simply does not match and the answer is a 404.
UUID_REGEX = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
