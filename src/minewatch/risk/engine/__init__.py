"""Pure risk engine: forecasts, backtest, risk register, capability gaps, losses.

No Django here: numpy, scipy, shapely and h3 only. Adapters in the ``risk``
app load rows, call these functions and store the results.
"""
