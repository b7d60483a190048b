"""Scheduled publishing: what is due and pending (``due``), and the scheduler every ``accord
serve`` process runs (``scheduler``). The writer does the publishing (accord.write.content)."""
