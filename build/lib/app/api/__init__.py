"""GraphQL plumbing: schema assembly, context, ids, errors, pagination, limits."""
