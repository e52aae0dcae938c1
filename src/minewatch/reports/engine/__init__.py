"""Pure computation of the reports: periods, statistics, charts and the map (no Django)."""
