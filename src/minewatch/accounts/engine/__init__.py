"""Pure account-security code: token formats, recovery codes, address ranges (no Django)."""
