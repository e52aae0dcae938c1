"""Pure evidence-integrity engine: blob store, sniffing, metadata, custody chain, dossier.

Nothing in this package imports Django; the ``evidence`` app's services call it.
"""
