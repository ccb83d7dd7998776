"""Hardware records loaded from accelerators/*.yaml."""
