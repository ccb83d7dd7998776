"""Tables and reports written into a run folder."""
