"""Auth profiles: the credential store and the order credentials are tried in."""
