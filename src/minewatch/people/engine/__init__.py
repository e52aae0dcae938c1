"""Pure rules of the people app (no Django): vetting status and access anomalies."""
