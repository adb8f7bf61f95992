"""The config file: load (JSON5, ``$include``, ``${VAR}``, the ``env`` block), validate, write."""
