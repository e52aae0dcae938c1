"""Pure intelligence algorithms (no Django): Admiralty grading weights, early warnings, actor graph."""
