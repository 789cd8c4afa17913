"""The one exception type for bad input: stages catch it and print one line (aboutness.runner)."""


class InputError(ValueError):
    """Bad input that stops a stage; the message names file, row and column, or the param."""
