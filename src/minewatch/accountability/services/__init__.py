"""Every write of the accountability app, one module per record kind."""
