"""Pure inventory algorithms (no Django): dry mass and its uncertainty, per-trip balance, CUSUM."""
