"""Live milestones: the change log fanned out to subscribers on every worker and instance."""
