"""The one exception type for bad user input.

Everything a user can get wrong (a file, a field, a value) raises `InputError`; the CLI turns it into one line on
stderr and exit code 2. Anything else is a bug and exits 1.
"""


class InputError(ValueError):
    """Bad user input: the message names the file or object, the field and the offending value."""
