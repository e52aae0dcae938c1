"""Pure rules of the accountability app (no Django): deadlines, workflows, legal service types."""
