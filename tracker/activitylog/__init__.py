"""The hash-chained activity log: chain, append, verification, purge."""
