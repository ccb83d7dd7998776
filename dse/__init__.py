"""dse: design-space exploration for edge AI hardware."""

__version__ = "0.1.0"
