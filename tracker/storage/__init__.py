"""The store, its codec, blobs, migrations and the record registry."""
